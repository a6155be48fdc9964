"""django-q2's database broker, with a one-statement enqueue.

Submitting a job writes the job row and its queue row in one transaction; the stock
broker's ORM ``create()`` costs more than the insert itself on that hot path. The
table, columns and payload are django-q2's own, so its workers dequeue as usual.
"""

from django.db import connections
from django.utils import timezone
from django_q.brokers.orm import ORM
from django_q.conf import Conf
from django_q.models import OrmQ

_INSERT = f"INSERT INTO {OrmQ._meta.db_table} (key, payload, lock) VALUES (%s, %s, %s)"


class SqlBroker(ORM):
    def enqueue(self, task):
        connection = connections[Conf.ORM]
        with connection.cursor() as cursor:
            cursor.execute(_INSERT, [
                self.list_key or Conf.CLUSTER_NAME, task,
                connection.ops.adapt_datetimefield_value(timezone.now()),
            ])
