"""Reading a text/event-stream as a client does."""

import json


def events(response):
    """(id, event, data) for each event of an open httpx streaming response."""
    event_id, name, data = None, "message", []
    for line in response.iter_lines():
        if line == "":
            if data:
                yield event_id, name, json.loads("\n".join(data))
            name, data = "message", []
        elif line.startswith("id:"):
            event_id = line[3:].strip()
        elif line.startswith("event:"):
            name = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].strip())
