import pickle

import yaml


def load(blob, text, handle):
    # ruleid: python-pickle-load
    pickle.loads(blob)
    # ruleid: python-pickle-load
    pickle.load(handle)
    # ok: python-pickle-load
    pickle.dumps(blob)
    # ruleid: python-yaml-unsafe-load
    yaml.load(text)
    # ruleid: python-yaml-unsafe-load
    yaml.unsafe_load(text)
    # ok: python-yaml-unsafe-load
    yaml.load(text, Loader=yaml.SafeLoader)
    # ok: python-yaml-unsafe-load
    yaml.safe_load(text)
