import os

# ruleid: python-django-debug-true-settings
DEBUG = True

if os.environ.get("LOCAL_DEV"):
    # ok: python-django-debug-true-settings
    DEBUG = True

# ok: python-django-debug-true-settings
DEBUG = os.environ.get("DJANGO_DEBUG") == "1"
