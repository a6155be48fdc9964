"""Being told instead of polling: signed webhooks (an outbox), long-poll and events."""
