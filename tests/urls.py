# The test operations declare their routes in their SPECs, like any operation.
from config.urls import urlpatterns  # noqa: F401
