import gc
import os

from celery import Celery
from celery.signals import worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadflip.settings")

app = Celery("leadflip")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_init.connect
def tune_garbage_collection(**kwargs) -> None:
    """Collect garbage less often in a worker process. Rendering a PDF allocates some
    300,000 objects, and Python's default (a young collection every 700 allocations, and
    every object inherited from the parent scanned again and again) cost a tenth of a
    billing run's time; 10,000 allocations keeps memory flat, and the inherited objects
    are set aside (`freeze`) since they live as long as the process."""
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)
