"""Building allocators by name and spec."""

import pytest

import memlab
from memlab import BadRequest
from memlab.allocators import parse_spec


def test_specs_parse_into_name_and_options():
    assert parse_spec("freelist:list=explicit,fit=best") == ("freelist", {"list": "explicit", "fit": "best"})
    assert parse_spec("bump:size=0x100") == ("bump", {"size": 256})
    assert parse_spec(" pool : size = 32 , grow = yes ") == ("pool", {"size": 32, "grow": True})


def test_unknown_names_and_bad_options_are_clear_errors():
    with pytest.raises(BadRequest, match="no allocator named 'nosuch'; known: .*bump"):
        memlab.allocator("nosuch")
    with pytest.raises(BadRequest, match="option 'fit' is not key=value"):
        memlab.allocator("bump:fit")
    with pytest.raises(BadRequest, match="allocator 'bump'"):
        memlab.allocator("bump", colour="red")


def test_every_registered_allocator_is_built_by_name_and_documented():
    for name in memlab.names():
        entry = memlab.REGISTRY[name]
        heap = memlab.allocator(name, **entry.test_options)
        assert isinstance(heap, memlab.Allocator)
        assert entry.summary, f"{name} has no docstring"
        assert type(heap).__module__.startswith("memlab.")


def test_every_allocator_module_imports():
    from memlab.allocators import BROKEN

    assert BROKEN == {}
