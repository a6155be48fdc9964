from django.db import connection
from django.http import JsonResponse


def healthz(request):
    """Liveness for load balancers and start-up scripts: the database answers."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:
        return JsonResponse({"status": "unavailable", "database": "down"}, status=503)
    return JsonResponse({"status": "ok"})
