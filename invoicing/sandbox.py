"""A Liquid environment for templates that tenants write: every render is bounded.

python-liquid bounds loops (their nested product), output and the size of local variables,
but not the time a render takes, the size of a range literal, nor what a filter makes:
`{{ (1..3000000) | join: ',' }}` took 4 s, and a few nested `replace` filters 2.8 GB in
2 s. Here:

- a render has a deadline and a budget of loop iterations in all; the clock is read before
  every node (python-liquid's `Node.render` asks the context for its disabled tags before
  each node, and our list of them reads the clock when asked);
- a range literal has at most MAX_RANGE items;
- a filter's result may not be larger than MAX_CHARACTERS / MAX_ITEMS, unless it is no
  larger than what the filter was given (an invoice's own data can be large: an annex of
  10,000 lead ids), and `replace` and `join` are refused before they run when their result
  would be too large; the two filters that are slower than linear have input caps;
- a filter that fails in its own way (strip_html's parser, date on a huge number) is a
  template error with its line, like any other.

This relies on python-liquid 2.3's internals (pinned in pyproject.toml); the tests in
tests/invoicing/test_invoice_template.py render the known attacks.
"""

import time
from functools import wraps

from liquid import BoundTemplate, Environment, RenderContext
from liquid.builtin.expressions.primitive import RangeLiteral
from liquid.exceptions import FilterArgumentError, LiquidError, ResourceLimitError

MAX_SECONDS = 3.0
MAX_LOOP_ITERATIONS = 1_000_000  # over the whole render
MAX_RANGE = 10_000
MAX_CHARACTERS = 1_000_000
MAX_ITEMS = 100_000
MAX_INTEGER_BITS = 1_024
# Filters that take more than linear time in their input: uniq in items, strip_html in
# characters.
INPUT_CAPS = {"uniq": 5_000, "strip_html": 100_000}


class RenderLimitError(ResourceLimitError, FilterArgumentError):
    """A render went over one of the bounds. As a FilterArgumentError it gets the line of
    the filter it was raised in."""


class FilterFailed(FilterArgumentError):
    """A filter raised an error of its own, not a Liquid one."""


class Budget:
    __slots__ = ("deadline", "iterations")

    def __init__(self):
        self.deadline = time.monotonic() + MAX_SECONDS
        self.iterations = 0

    def check(self) -> None:
        if time.monotonic() > self.deadline:
            raise RenderLimitError(f"rendering takes longer than {MAX_SECONDS:g} s", token=None)


class _Clock(list):
    """The context's disabled tags (a list, empty for us) that reads the clock each time
    python-liquid asks whether there are any, which it does before rendering each node."""

    __slots__ = ("budget",)

    def __bool__(self) -> bool:
        self.budget.check()
        return len(self) > 0


class BoundedContext(RenderContext):
    __slots__ = ("budget",)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        parent = self.parent_context
        self.budget = parent.budget if isinstance(parent, BoundedContext) else Budget()
        clock = _Clock(self.disabled_tags)
        clock.budget = self.budget
        self.disabled_tags = clock

    def raise_for_loop_limit(self, length: int = 1) -> None:
        super().raise_for_loop_limit(length)
        self.budget.iterations += length  # each loop announces its length once
        if self.budget.iterations > MAX_LOOP_ITERATIONS:
            raise RenderLimitError(
                f"the loops run more than {MAX_LOOP_ITERATIONS:,} times in all", token=None
            )
        self.budget.check()


class BoundedTemplate(BoundTemplate):
    context_class = BoundedContext


class BoundedRange(RangeLiteral):
    __slots__ = ()  # RangeLiteral's own layout: a parsed one can become one of these

    def _make_range(self, start, stop) -> range:
        items = super()._make_range(start, stop)
        if len(items) > MAX_RANGE:
            raise RenderLimitError(
                f"a range can have at most {MAX_RANGE:,} items", token=self.token
            )
        return items


def _bound_ranges(nodes, static_context) -> None:
    """Turn every range literal of the parsed template into a BoundedRange."""

    def visit(expression) -> None:
        if type(expression) is RangeLiteral:
            expression.__class__ = BoundedRange
        for child in expression.children():
            visit(child)

    for node in nodes:
        for expression in node.expressions():
            visit(expression)
        _bound_ranges(node.children(static_context, include_partials=False), static_context)


def _size(value) -> tuple[int, int, int]:
    """(characters and items, items, bits of an integer) of a filter's value."""
    if isinstance(value, str):
        return len(value), 0, 0
    if isinstance(value, bool):
        return 0, 0, 0
    if isinstance(value, int):
        return 0, 0, value.bit_length()
    if isinstance(value, range):
        return len(value), len(value), 0
    if isinstance(value, list | tuple):
        weight = items = len(value)
        for item in value:
            item_weight, item_items, _ = _size(item)
            weight, items = weight + item_weight, items + item_items
        return weight, items, 0
    return 0, 0, 0


def _too_large(size, given) -> bool:
    """Over a bound, and larger than everything the filter was given."""
    weight, items, bits = size
    if (weight > MAX_CHARACTERS or items > MAX_ITEMS) and weight > max(g[0] for g in given):
        return True
    return bits > MAX_INTEGER_BITS and bits > max(g[2] for g in given)


def _expected(name: str, left, args) -> tuple[int, int, int] | None:
    """The size of what `replace` or `join` would make, known before making it."""
    if name == "replace" and args and isinstance(left, str):
        old = str(args[0])
        new = args[1] if len(args) > 1 else ""
        # Markup (autoescape) escapes what it puts in.
        new_length = len(left.escape(new)) if hasattr(left, "escape") else len(str(new))
        count = left.count(old) if old else len(left) + 1
        return len(left) + count * (new_length - len(old)), 0, 0
    if name == "join" and isinstance(left, list | tuple | range):
        weight, items, _ = _size(left)
        separator = len(str(args[0])) if args else 1
        return weight + max(items - 1, 0) * separator, 0, 0
    return None


def bounded(name: str, function):
    """The filter `function`, within the bounds above."""
    cap = INPUT_CAPS.get(name)
    wants_context = getattr(function, "with_context", False)

    @wraps(function)  # keeps with_environment, which tells Liquid what to pass
    def filter_(left, *args, context, **kwargs):
        if isinstance(context, BoundedContext):
            context.budget.check()
        if wants_context:
            kwargs["context"] = context
        given = [_size(left), *map(_size, args)]
        given += [_size(v) for k, v in kwargs.items() if k not in ("context", "environment")]
        if cap is not None and max(given[0][:2]) > cap:
            raise RenderLimitError(f"{name} takes at most {cap:,} characters or items", token=None)
        expected = _expected(name, left, args)
        if expected is not None and _too_large(expected, given):
            raise RenderLimitError(f"{name}: the result would be too large", token=None)
        try:
            result = function(left, *args, **kwargs)
        except (LiquidError, TypeError):
            raise  # Liquid adds the line; a TypeError becomes a LiquidTypeError
        except Exception as error:
            raise FilterFailed(f"{name}: {error}", token=None) from error
        if _too_large(_size(result), given):
            raise RenderLimitError(f"{name}: the result is too large", token=None)
        return result

    filter_.with_context = True  # Liquid then passes the render context
    return filter_


class BoundedEnvironment(Environment):
    template_class = BoundedTemplate
    loop_iteration_limit = 200_000  # nested: a per-lead annex has one group per day and price
    output_stream_limit = 20_000_000  # bytes
    context_depth_limit = 20
    local_namespace_limit = 100_000

    def add_filter(self, name, func) -> None:  # the built-in filters come through here too
        super().add_filter(name, bounded(name, func))

    def from_string(self, source, *args, **kwargs):
        template = super().from_string(source, *args, **kwargs)
        _bound_ranges(template.nodes, RenderContext(template))
        return template
