"""Speech engines. The interface is in base.py; which engines a worker offers is in catalog.py.

`ALL` and `default_engines` are re-exported lazily so that importing one engine module (or
base.py) does not load every engine's libraries.
"""


def __getattr__(name):
    if name in ("ALL", "default_engines"):
        from . import catalog

        return getattr(catalog, name)
    raise AttributeError(name)
