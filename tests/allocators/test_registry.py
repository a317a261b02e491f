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

    assert general_purpose() == [
        "arena",
        "buddy",
        "bump",
        "freelist",
        "mimalloc",
        "page",
        "pymalloc",
        "slab",
        "tcmalloc",
    ]
    wrappers = {"debug", "failing", "stackfallback", "testing", "threadsafe"}
    assert set(skipped()) == {"magazine", "objectpool", "pool", "stack"} | wrappers
    assert "wraps another allocator" in skipped()["threadsafe"] and "lifo" in skipped()["stack"]


def test_a_name_cannot_be_registered_twice_for_two_classes():
    from memlab.allocators import entry, register

    with pytest.raises(BadRequest, match="'bump' is taken by Bump"):
        register(entry("bump", memlab.Buddy))


@pytest.mark.parametrize(
    ("spec", "options", "message"),
    [
        ("bump", {"size": 10**11}, "bump size=100000000000: a simulated memory of"),  # was OSError
        ("bump", {"size": 2**70}, "bump size=1180591620717411303424: a simulated memory"),  # was OverflowError
        ("slab", {"sizes": ()}, "slab sizes=(): give one or more object sizes"),  # was IndexError
        ("freelist", {"os": "x"}, "freelist os='x': expected a memlab.OS"),  # was AttributeError
        ("freelist", {"limit": 99999999999999}, "freelist limit=99999999999999: 4-byte tags"),  # was OSError
        ("tcmalloc", {"max_small": 10**11}, "tcmalloc max_small=100000000000: largest small size"),  # never ended
    ],
)
def test_impossible_options_raise_a_typed_error_naming_the_option(spec, options, message):
    with pytest.raises(BadRequest) as caught:
        memlab.allocator(spec, **options)
    assert str(caught.value).startswith(message)


def options_of(name):
    """Every keyword the allocator's constructor takes (and os and limit, which every one passes on)."""
    import inspect

    params = inspect.signature(memlab.REGISTRY[name].factory.__init__).parameters.values()
    plain = [p.name for p in params if p.name != "self" and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)]
    return list(dict.fromkeys([*plain, "os", "limit"]))


NONSENSE = [-1, 0, 3, 2**70, 10**11, 1.5, True, "x", None, (), [0], {"a": 1}]


@pytest.mark.parametrize("name", memlab.names())
def test_no_option_value_gives_anything_but_a_memlab_error_that_names_the_option(name):
    entry = memlab.REGISTRY[name]
    for option in options_of(name):
        for value in NONSENSE:
            try:
                memlab.allocator(name, **{**entry.test_options, option: value})
            except memlab.MemlabError as e:
                assert option in str(e), f"{name} {option}={value!r}: the error does not name the option: {e}"
            except Exception as e:  # noqa: BLE001 - what the test is looking for
                pytest.fail(f"{name} {option}={value!r} raised {type(e).__name__}: {e}")
