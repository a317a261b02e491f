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


def test_every_strategy_module_is_named_in_the_package_and_imports_cleanly():
    """No module is found by scanning: each is named in memlab.allocators, and an import error is an error."""
    import importlib
    import pkgutil
    import sys

    import memlab.allocators as package

    for info in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
        importlib.import_module(info.name)  # raises, never warns
        assert info.name in sys.modules
    registered = {e.factory for e in memlab.REGISTRY.values()}
    assert {e.factory for e in package.STRATEGIES} <= registered
    assert [e.name for e in package.STRATEGIES][:3] == ["stack", "bump", "arena"]  # the course's order


def test_the_registry_says_which_strategies_a_real_trace_can_use():
    from memlab.traces.lineup import general_purpose, skipped

    assert general_purpose() == ["arena", "buddy", "bump", "freelist", "page", "slab", "tcmalloc"]
    assert set(skipped()) == {"magazine", "objectpool", "pool", "stack", "stackfallback", "threadsafe"}
    assert "wraps another allocator" in skipped()["threadsafe"] and "lifo" in skipped()["stack"]


def test_a_name_cannot_be_registered_twice_for_two_classes():
    from memlab.allocators import entry, register

    with pytest.raises(BadRequest, match="'bump' is taken by Bump"):
        register(entry("bump", memlab.Buddy))
