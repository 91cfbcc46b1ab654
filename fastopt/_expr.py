r"""Safe expressions: Python-syntax formulas compiled to numba functions of a vector.

``compile_expression("x**2 - y**2")`` returns an :class:`Expression` whose ``func`` is
an ``@njit`` function ``f(v) -> float`` that every fastopt routine accepts as an
objective. This is what the command line (``fastopt scan``/``classify``) runs.

How it stays safe
-----------------
The text is never evaluated. It is parsed with :func:`ast.parse`, every node is checked
against a whitelist (numbers, variables, ``+ - * / **``, unary ``+``/``-``, calls of the
functions in :data:`FUNCTIONS`, the constants in :data:`CONSTANTS`, and piecewise
``a if condition else b`` with comparisons, ``and``, ``or``, ``not`` in the condition),
and the source of a new function is *generated* from the checked tree: every variable
becomes ``v[i]``, every function ``math.<name>`` (or ``abs``/``min``/``max``), every
number a float literal. Only that generated source is compiled, in a namespace without
builtins. Anything else -- attribute access, subscripts, calls of other names, lambdas,
strings, names such as ``__import__``, text longer than :data:`MAX_LENGTH` characters or
nested deeper than :data:`MAX_DEPTH` -- raises :class:`ValueError` naming the construct.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ._jit import jit

__all__ = [
    "CONSTANTS",
    "FUNCTIONS",
    "MAX_DEPTH",
    "MAX_LENGTH",
    "Expression",
    "compile_expression",
    "parse_expression",
]

#: Longest accepted expression, in characters.
MAX_LENGTH = 2000
#: Deepest accepted nesting (parentheses, function calls, unary operators, powers,
#: conditions). A flat chain such as ``a + b - c + ...`` counts as one level.
MAX_DEPTH = 50

#: Allowed functions: name -> (generated callee, smallest, largest number of arguments;
#: None = any). All work on floats and return floats.
FUNCTIONS: dict[str, tuple[str, int, int | None]] = {
    "sin": ("math.sin", 1, 1),
    "cos": ("math.cos", 1, 1),
    "tan": ("math.tan", 1, 1),
    "asin": ("math.asin", 1, 1),
    "acos": ("math.acos", 1, 1),
    "atan": ("math.atan", 1, 1),
    "atan2": ("math.atan2", 2, 2),
    "sinh": ("math.sinh", 1, 1),
    "cosh": ("math.cosh", 1, 1),
    "tanh": ("math.tanh", 1, 1),
    "asinh": ("math.asinh", 1, 1),
    "acosh": ("math.acosh", 1, 1),
    "atanh": ("math.atanh", 1, 1),
    "exp": ("math.exp", 1, 1),
    "expm1": ("math.expm1", 1, 1),
    "log": ("math.log", 1, 1),
    "log1p": ("math.log1p", 1, 1),
    "log2": ("math.log2", 1, 1),
    "log10": ("math.log10", 1, 1),
    "sqrt": ("math.sqrt", 1, 1),
    "hypot": ("math.hypot", 2, 2),
    "erf": ("math.erf", 1, 1),
    "erfc": ("math.erfc", 1, 1),
    "gamma": ("math.gamma", 1, 1),
    "lgamma": ("math.lgamma", 1, 1),
    "abs": ("abs", 1, 1),
    "floor": ("np.floor", 1, 1),
    "ceil": ("np.ceil", 1, 1),
    "min": ("min", 2, None),
    "max": ("max", 2, None),
}

#: Allowed constants.
CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e, "tau": math.tau}

_BINOPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
_GROUP = {ast.Add: 1, ast.Sub: 1, ast.Mult: 2, ast.Div: 2}  # left-associative chains
_CMPOPS = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==",
           ast.NotEq: "!="}
_LETTERS = ("x", "y", "z")
_INDEXED = re.compile(r"x(0|[1-9][0-9]*)\Z")
_IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")
_WHAT = {
    ast.Attribute: "attribute access", ast.Subscript: "subscripts", ast.Lambda: "lambda",
    ast.ListComp: "comprehensions", ast.SetComp: "comprehensions",
    ast.DictComp: "comprehensions", ast.GeneratorExp: "comprehensions",
    ast.List: "lists", ast.Tuple: "tuples", ast.Set: "sets", ast.Dict: "dicts",
    ast.JoinedStr: "f-strings", ast.NamedExpr: "assignment (:=)", ast.Starred: "starred *",
    ast.Await: "await", ast.Yield: "yield", ast.YieldFrom: "yield", ast.Slice: "slices",
}
_NAMESPACE_NAMES = frozenset({"math", "np", "abs", "min", "max"})


def _functions_list() -> str:
    return ", ".join(FUNCTIONS)


def _variables_help(variables=None) -> str:
    if variables:
        return f"the variables are {', '.join(variables)}"
    return "variables are x, y, z or x0, x1, ... (or name them with --vars / variables=)"


@dataclass(frozen=True)
class Expression:
    """A checked expression and its compiled function.

    Attributes
    ----------
    text : str
        The expression as given.
    variables : tuple of str
        Variable names in coordinate order: ``variables[i]`` is ``v[i]``.
    source : str
        The Python source generated from the checked syntax tree (what numba compiled).
    func : numba dispatcher
        ``func(v) -> float`` for a float64 array ``v`` of shape ``(n,)``; an objective for
        every fastopt routine.
    """

    text: str
    variables: tuple
    source: str
    func: object = field(repr=False, compare=False)

    @property
    def n(self) -> int:
        """Number of variables (coordinates of a point)."""
        return len(self.variables)

    def __call__(self, x) -> float:
        """Evaluate at one point `x` (shape ``(n,)``)."""
        v = np.ascontiguousarray(x, dtype=np.float64)
        if v.shape != (self.n,):
            raise ValueError(
                f"`x` must have shape ({self.n},) for the variables "
                f"{', '.join(self.variables)}; got shape {v.shape}"
            )
        return float(self.func(v))


# --------------------------------------------------------------------------- checking
class _Checker:
    """Walk a parsed expression, enforce the whitelist, collect the names used."""

    def __init__(self, text):
        self.text = text
        self.names: dict[str, ast.AST] = {}

    def where(self, node) -> str:
        seg = ast.get_source_segment(self.text, node) or ""
        seg = " ".join(seg.split())
        if len(seg) > 40:
            seg = seg[:37] + "..."
        col = getattr(node, "col_offset", None)
        at = f" at column {col + 1}" if col is not None and "\n" not in self.text else ""
        return f"'{seg}'{at}" if seg else at.strip()

    def fail(self, node, message):
        raise ValueError(f"{message}: {self.where(node)}")

    def number(self, node, depth):
        self.depth(node, depth)
        if isinstance(node, ast.Constant):
            self.constant(node)
        elif isinstance(node, ast.Name):
            self.name(node)
        elif isinstance(node, ast.BinOp):
            if type(node.op) not in _BINOPS:
                op = {ast.FloorDiv: "//", ast.Mod: "%", ast.MatMult: "@", ast.BitAnd: "&",
                      ast.BitOr: "|", ast.BitXor: "^", ast.LShift: "<<",
                      ast.RShift: ">>"}.get(type(node.op), type(node.op).__name__)
                self.fail(node, f"operator {op} is not allowed (use + - * / **)")
            for operand in self.chain(node):
                self.number(operand, depth + 1)
        elif isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.Not):
                self.fail(node, "'not' is only allowed in the condition of 'a if cond else b'")
            if not isinstance(node.op, ast.UAdd | ast.USub):
                self.fail(node, "operator ~ is not allowed")
            self.number(node.operand, depth + 1)
        elif isinstance(node, ast.Call):
            self.call(node, depth)
        elif isinstance(node, ast.IfExp):
            self.condition(node.test, depth + 1)
            self.number(node.body, depth + 1)
            self.number(node.orelse, depth + 1)
        elif isinstance(node, ast.Compare | ast.BoolOp):
            self.fail(node, "comparisons and and/or are only allowed in the condition of a "
                      "piecewise expression 'a if condition else b'")
        else:
            self.other(node)

    def chain(self, node):
        """Operands of a left-associative chain ``a + b - c`` (flat, no recursion)."""
        group = _GROUP.get(type(node.op))
        if group is None:
            return [node.left, node.right]
        rights = []
        while (isinstance(node, ast.BinOp) and _GROUP.get(type(node.op)) == group):
            rights.append(node.right)
            node = node.left
        return [node, *reversed(rights)]

    def condition(self, node, depth):
        self.depth(node, depth)
        if isinstance(node, ast.Compare):
            for op in node.ops:
                if type(op) not in _CMPOPS:
                    self.fail(node, "only the comparisons < <= > >= == != are allowed")
            for operand in (node.left, *node.comparators):
                self.number(operand, depth + 1)
        elif isinstance(node, ast.BoolOp):
            for value in node.values:
                self.condition(value, depth + 1)
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            self.condition(node.operand, depth + 1)
        else:
            self.fail(node, "the condition of 'a if condition else b' must be a comparison "
                      "such as x > 0 (combined with and, or, not)")

    def depth(self, node, depth):
        if depth > MAX_DEPTH:
            raise ValueError(
                f"expression is nested too deeply (more than {MAX_DEPTH} levels of "
                "parentheses, calls, powers or unary operators)"
            )

    def constant(self, node):
        value = node.value
        if isinstance(value, bool):
            self.fail(node, "True/False are not allowed (use 1 or 0)")
        if isinstance(value, str | bytes):
            self.fail(node, "string literals are not allowed")
        if isinstance(value, complex):
            self.fail(node, "complex numbers are not allowed")
        if not isinstance(value, int | float):
            self.fail(node, f"{value!r} is not allowed")
        try:
            fvalue = float(value)
        except OverflowError:
            fvalue = math.inf
        if not math.isfinite(fvalue):
            self.fail(node, "number is too large for a float64 (it overflows to infinity)")

    def name(self, node):
        ident = node.id
        if ident.startswith("_"):
            self.fail(node, f"names starting with an underscore are not allowed ('{ident}')")
        if ident in FUNCTIONS:
            self.fail(node, f"'{ident}' is a function: call it as {ident}(...)")
        self.names.setdefault(ident, node)

    def call(self, node, depth):
        func = node.func
        if isinstance(func, ast.Attribute):
            if func.attr in FUNCTIONS:
                self.fail(node, f"attribute access is not allowed (write {func.attr}(...), "
                          f"not ...{func.attr}(...))")
            self.other(func)
        if not isinstance(func, ast.Name):
            self.fail(node, "only calls of the listed functions are allowed")
        if func.id not in FUNCTIONS:
            if func.id.startswith("_"):
                self.fail(node, f"names starting with an underscore are not allowed "
                          f"('{func.id}')")
            self.fail(node, f"unknown function '{func.id}' (allowed: {_functions_list()})")
        if node.keywords:
            self.fail(node, f"keyword arguments are not allowed in {func.id}(...)")
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                self.fail(arg, "starred arguments are not allowed")
        _, lo, hi = FUNCTIONS[func.id]
        nargs = len(node.args)
        if nargs < lo or (hi is not None and nargs > hi):
            want = f"{lo}" if lo == hi else f"at least {lo}" if hi is None else f"{lo}-{hi}"
            self.fail(node, f"{func.id}() takes {want} argument{'s' if want != '1' else ''}, "
                      f"got {nargs}")
        for arg in node.args:
            self.number(arg, depth + 1)

    def other(self, node):
        what = _WHAT.get(type(node))
        if what is None:
            what = f"{type(node).__name__} syntax"
        self.fail(node, f"{what} not allowed in an expression")


# --------------------------------------------------------------------------- emitting
class _Emitter:
    """Generate fully parenthesised source from a checked tree."""

    def __init__(self, index):
        self.index = index

    def number(self, node) -> str:
        if isinstance(node, ast.Constant):
            return repr(float(node.value))
        if isinstance(node, ast.Name):
            if node.id in self.index:
                return f"v[{self.index[node.id]}]"
            return repr(CONSTANTS[node.id])
        if isinstance(node, ast.BinOp):
            if isinstance(node.op, ast.Pow):
                return f"({self.number(node.left)} ** {self.exponent(node.right)})"
            parts = []
            group = _GROUP[type(node.op)]
            ops = []
            while isinstance(node, ast.BinOp) and _GROUP.get(type(node.op)) == group:
                parts.append(self.number(node.right))
                ops.append(_BINOPS[type(node.op)])
                node = node.left
            out = self.number(node)
            for op, part in zip(reversed(ops), reversed(parts), strict=True):
                out += f" {op} {part}"
            return f"({out})"
        if isinstance(node, ast.UnaryOp):
            sign = "-" if isinstance(node.op, ast.USub) else "+"
            return f"({sign}{self.number(node.operand)})"
        if isinstance(node, ast.Call):
            callee = FUNCTIONS[node.func.id][0]
            return f"{callee}({', '.join(self.number(a) for a in node.args)})"
        if isinstance(node, ast.IfExp):
            return (f"({self.number(node.body)} if {self.condition(node.test)} "
                    f"else {self.number(node.orelse)})")
        raise AssertionError(f"unchecked node {type(node).__name__}")  # pragma: no cover

    def exponent(self, node) -> str:
        """Small non-negative integer exponents stay integers (numba multiplies, exactly).

        Negative ones become floats: numba raises ZeroDivisionError for ``0.0 ** -1``
        but returns inf for ``0.0 ** -1.0``, as numpy does.
        """
        if isinstance(node, ast.Constant) and type(node.value) is int and node.value < 2**31:
            return f"({node.value})"
        return self.number(node)

    def condition(self, node) -> str:
        if isinstance(node, ast.Compare):
            operands = [self.number(o) for o in (node.left, *node.comparators)]
            terms = [f"({a} {_CMPOPS[type(op)]} {b})"
                     for a, op, b in zip(operands, node.ops, operands[1:], strict=False)]
            return terms[0] if len(terms) == 1 else f"({' and '.join(terms)})"
        if isinstance(node, ast.BoolOp):
            word = " and " if isinstance(node.op, ast.And) else " or "
            return f"({word.join(self.condition(v) for v in node.values)})"
        return f"(not {self.condition(node.operand)})"


# --------------------------------------------------------------------------- variables
def _clean_variables(variables):
    if isinstance(variables, str):
        names = [s.strip() for s in variables.split(",")]
    elif isinstance(variables, Sequence):
        names = list(variables)
    else:
        raise TypeError(
            f"`variables` must be a comma-separated string or a sequence of names; got "
            f"{type(variables).__name__}"
        )
    if not names:
        raise ValueError("`variables` must name at least one variable")
    for name in names:
        if not isinstance(name, str) or not _IDENTIFIER.match(name):
            raise ValueError(
                f"variable names must be identifiers (a letter, then letters, digits or _); "
                f"got {name!r}"
            )
        if name in FUNCTIONS or name in CONSTANTS:
            kind = "function" if name in FUNCTIONS else "constant"
            raise ValueError(f"variable name {name!r} is taken by the {kind} {name}")
    dup = sorted({s for s in names if names.count(s) > 1})
    if dup:
        raise ValueError(f"variable names must be distinct; {dup[0]!r} appears twice")
    return tuple(names)


def _resolve(names: dict, variables, n):
    """Return the variable tuple; raise on unknown names."""
    used = {k: v for k, v in names.items() if k not in CONSTANTS}
    if variables is not None:
        variables = _clean_variables(variables)
        if n is not None and n != len(variables):
            raise ValueError(
                f"{len(variables)} variable names given ({', '.join(variables)}) but the "
                f"point has {n} coordinates"
            )
        for ident in used:
            if ident not in variables:
                raise ValueError(f"unknown name '{ident}': {_variables_help(variables)}")
        return variables
    letters, indexed = [], []
    for ident in used:
        if ident in _LETTERS:
            letters.append(_LETTERS.index(ident))
        elif (m := _INDEXED.match(ident)) is not None:
            indexed.append(int(m.group(1)))
        else:
            raise ValueError(f"unknown name '{ident}': {_variables_help()}")
    if letters and indexed:
        raise ValueError(
            "the expression mixes x, y, z with x0, x1, ...: use one way of naming variables"
        )
    if indexed:
        need = max(indexed) + 1
        if n is not None and need > n:
            raise ValueError(
                f"the expression uses x{max(indexed)} but the point has {n} coordinates "
                f"(x0 ... x{n - 1})"
            )
        return tuple(f"x{i}" for i in range(n if n is not None else need))
    need = max(letters) + 1 if letters else 1
    if n is None:
        n = need
    if letters and n > 3:
        raise ValueError(
            f"with {n} coordinates name the variables x0, x1, ..., x{n - 1} (x, y, z are for "
            "up to 3)"
        )
    if need > n:
        raise ValueError(
            f"the expression uses '{_LETTERS[need - 1]}' but the point has {n} "
            f"coordinate{'s' if n > 1 else ''} ({', '.join(_LETTERS[:n])})"
        )
    return _LETTERS[:n] if n <= 3 else tuple(f"x{i}" for i in range(n))


# --------------------------------------------------------------------------- public
def parse_expression(text: str, *, variables=None, n: int | None = None):
    """Check an expression and generate the source of its function, without compiling.

    Parameters
    ----------
    text : str
        The expression, see :func:`compile_expression`.
    variables : str or sequence of str, optional
        Variable names in coordinate order.
    n : int, optional
        Number of coordinates of a point.

    Returns
    -------
    source : str
        Source of ``def f(v): return ...``, built only from whitelisted pieces.
    variables : tuple of str
        The variable names, ``variables[i]`` being ``v[i]``.

    Raises
    ------
    ValueError
        For anything outside the whitelist, with a message naming the construct.

    Examples
    --------
    >>> from fastopt._expr import parse_expression
    >>> source, names = parse_expression("x**2 - sin(y)")
    >>> names
    ('x', 'y')
    >>> print(source, end="")
    def f(v):
        return ((v[0] ** (2)) - math.sin(v[1]))
    """
    if not isinstance(text, str):
        raise TypeError(f"the expression must be a string; got {type(text).__name__}")
    if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 1):
        raise ValueError(f"`n` must be a positive integer; got {n!r}")
    if len(text) > MAX_LENGTH:
        raise ValueError(
            f"expression is too long: {len(text)} characters (at most {MAX_LENGTH})"
        )
    if not text.strip():
        raise ValueError("expression is empty")
    _check_brackets(text)
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        msg = (exc.msg or "invalid syntax").split("\n")[0]
        col = f" at column {exc.offset}" if exc.offset and "\n" not in text else ""
        raise ValueError(f"invalid expression{col}: {msg}") from None
    except (RecursionError, MemoryError):
        raise ValueError(
            f"expression is nested too deeply (more than {MAX_DEPTH} levels)"
        ) from None
    except ValueError as exc:  # e.g. null bytes
        raise ValueError(f"invalid expression: {str(exc).splitlines()[0]}") from None
    checker = _Checker(text.strip())
    checker.number(tree.body, 1)
    names = _resolve(checker.names, variables, n)
    body = _Emitter({name: i for i, name in enumerate(names)}).number(tree.body)
    return f"def f(v):\n    return {body}\n", names


def _check_brackets(text):
    """Reject bracket nesting deeper than MAX_DEPTH before the parser sees it."""
    depth = deepest = 0
    for ch in text:
        if ch in "([{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in ")]}":
            depth -= 1
    if deepest > MAX_DEPTH:
        raise ValueError(
            f"expression is nested too deeply ({deepest} levels of parentheses; at most "
            f"{MAX_DEPTH})"
        )


_CACHE: dict = {}


def compile_expression(text: str, *, variables=None, n: int | None = None) -> Expression:
    r"""Compile a Python-syntax formula into a numba function of a vector, safely.

    Parameters
    ----------
    text : str
        The formula, e.g. ``"x**2 - y**2"`` or ``"(1 - x)**2 + 100*(y - x**2)**2"``.
        Allowed: numbers, variables, ``+ - * / **``, unary ``-``/``+``, parentheses, the
        functions of :data:`FUNCTIONS` (``sin cos tan asin acos atan atan2 sinh cosh
        tanh asinh acosh atanh exp expm1 log log1p log2 log10 sqrt hypot erf erfc gamma
        lgamma abs floor ceil min max``), the constants ``pi``, ``e``, ``tau``, and
        piecewise definitions ``a if condition else b`` whose condition compares numbers
        (``< <= > >= == !=``, chained, combined with ``and``, ``or``, ``not``). At most
        :data:`MAX_LENGTH` = 2000 characters and :data:`MAX_DEPTH` = 50 levels of
        nesting.
    variables : str or sequence of str, optional
        Names of the variables in coordinate order, e.g. ``"a,b"``. Default: ``x, y, z``
        (up to 3 coordinates) or ``x0, x1, ...`` (any number), whichever the text uses.
    n : int, optional
        Number of coordinates of a point (e.g. the number of axes of a search box).
        Default: the highest variable the text uses (``y`` -> 2, ``x4`` -> 5).

    Returns
    -------
    Expression
        ``text``, ``variables``, the generated ``source`` and ``func``, an njit function
        ``func(v) -> float`` of a float64 array of shape ``(n,)``. Compiling the same
        text and variables again returns the same object (and the same numba function,
        so fastopt's kernels are not compiled again for it).

    Raises
    ------
    ValueError
        For anything else -- unknown names or functions, attribute access, subscripts,
        lambdas, strings, names such as ``__import__``, syntax errors, too long or too
        deeply nested text -- with a one-line message naming the offending construct.

    Notes
    -----
    The text is parsed with :mod:`ast`; every node is checked against the whitelist and
    the source of a new function is generated from the checked tree (variables become
    ``v[i]``, functions ``math.sin`` etc., numbers float literals); only that source is
    compiled, in a namespace without builtins. The user's text itself is never
    evaluated. Division by zero and domain errors give ``inf``/``nan`` (numba's numpy
    error model), which fastopt's routines skip or report.

    Examples
    --------
    >>> import numpy as np
    >>> import fastopt
    >>> f = fastopt.compile_expression("x**2 - y**2")
    >>> f.variables, f([3.0, 1.0])
    (('x', 'y'), 8.0)
    >>> res = fastopt.grid_search(f.func, [(-1, 1), (-1, 2)], num=5)
    >>> res.x, res.fun
    (array([0., 2.]), -4.0)
    >>> g = fastopt.compile_expression("a*exp(-b) if a > 0 else 0", variables="a,b")
    >>> g([2.0, 0.0]), g([-1.0, 0.0])
    (2.0, 0.0)
    >>> fastopt.compile_expression("__import__('os')")
    Traceback (most recent call last):
    ...
    ValueError: names starting with an underscore are not allowed ('__import__'): ...
    """
    key = (text, variables if not isinstance(variables, list) else tuple(variables), n)
    try:
        cached = _CACHE.get(key)
    except TypeError:  # unhashable variables: checked below
        cached, key = None, None
    if cached is not None:
        return cached
    source, names = parse_expression(text, variables=variables, n=n)
    namespace = {"__builtins__": {}, "math": math, "np": np, "abs": abs, "min": min,
                 "max": max}
    exec(compile(source, "<fastopt expression>", "exec"), namespace)  # generated source
    expr = Expression(text=text, variables=names, source=source,
                      func=jit()(namespace["f"]))
    if key is not None:
        if len(_CACHE) > 256:
            _CACHE.clear()
        _CACHE[key] = expr
    return expr
