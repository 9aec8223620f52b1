"""The collector is paused inside bulk work and always resumed."""

from __future__ import annotations

import gc

import pytest

from seccli.zerotrust.gcpause import paused_gc, without_gc


def test_paused_and_resumed_even_on_error() -> None:
    assert gc.isenabled()
    with paused_gc():
        assert not gc.isenabled()
        with paused_gc():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the inner block does not resume early
    assert gc.isenabled()

    @without_gc
    def boom() -> None:
        assert not gc.isenabled()
        raise ValueError("x")

    with pytest.raises(ValueError):
        boom()
    assert gc.isenabled()
