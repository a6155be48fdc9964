# On SQLite too, one index for searches combining country, city and a registrar name or
# prefix (see jobs.registrations.indexes).

from django.db import migrations

from jobs.registrations import indexes


class Migration(migrations.Migration):

    dependencies = [
        ('jobs', '0014_search_value_dictionary_sqlite'),
    ]

    operations = indexes.sqlite_place_operations()
