"""The safe expression compiler (fastopt._expr): whitelist, rejections, fuzzing."""

import ast
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

import fastopt
from fastopt._expr import (
    CONSTANTS,
    FUNCTIONS,
    MAX_DEPTH,
    MAX_LENGTH,
    compile_expression,
    parse_expression,
)

# ----------------------------------------------------------------------------- helpers
_NUMPY = {
    "sin": np.sin, "cos": np.cos, "tan": np.tan, "asin": np.arcsin, "acos": np.arccos,
    "atan": np.arctan, "atan2": np.arctan2, "sinh": np.sinh, "cosh": np.cosh,
    "tanh": np.tanh, "asinh": np.arcsinh, "acosh": np.arccosh, "atanh": np.arctanh,
    "exp": np.exp, "expm1": np.expm1, "log": np.log, "log1p": np.log1p, "log2": np.log2,
    "log10": np.log10, "sqrt": np.sqrt, "hypot": np.hypot, "abs": np.abs,
    "floor": np.floor, "ceil": np.ceil, "min": min, "max": max,
    "erf": math.erf, "erfc": math.erfc, "gamma": math.gamma, "lgamma": math.lgamma,
}


class _NumpyMath:
    """Stand-in for `math` in generated source: numpy functions, inf/nan instead of errors."""

    sin, cos, tan, asin, acos, atan = np.sin, np.cos, np.tan, np.arcsin, np.arccos, np.arctan
    atan2, sinh, cosh, tanh = np.arctan2, np.sinh, np.cosh, np.tanh
    asinh, acosh, atanh, exp, expm1 = np.arcsinh, np.arccosh, np.arctanh, np.exp, np.expm1
    log, log1p, log2, log10, sqrt, hypot = (np.log, np.log1p, np.log2, np.log10, np.sqrt,
                                            np.hypot)
    erf, erfc, gamma, lgamma = math.erf, math.erfc, math.gamma, math.lgamma


class _Float64Literals(ast.NodeTransformer):
    """Make float literals np.float64, so that ``0.0 / 0.0`` is nan, not an exception."""

    def visit_Constant(self, node):  # noqa: D102
        if type(node.value) is not float:
            return node
        call = ast.Call(ast.Attribute(ast.Name("np", ast.Load()), "float64", ast.Load()),
                        [node], [])
        return ast.copy_location(call, node)


def _python_function(source):
    """Run generated source without numba, with numpy semantics (no exceptions)."""
    tree = ast.fix_missing_locations(_Float64Literals().visit(ast.parse(source)))
    ns = {"__builtins__": {}, "math": _NumpyMath, "np": np, "abs": abs, "min": min,
          "max": max}
    exec(compile(tree, "<test>", "exec"), ns)
    return ns["f"]


_ALLOWED_ATTRS = {callee.split(".")[1] for callee, _, _ in FUNCTIONS.values() if "." in callee}


def _audit(source, n):
    """Assert the generated source only uses whitelisted pieces."""
    tree = ast.parse(source)
    fdef = tree.body[0]
    assert len(tree.body) == 1 and isinstance(fdef, ast.FunctionDef)
    assert [a.arg for a in fdef.args.args] == ["v"] and not fdef.decorator_list
    assert len(fdef.body) == 1 and isinstance(fdef.body[0], ast.Return)
    allowed = (ast.Return, ast.BinOp, ast.UnaryOp, ast.Call, ast.Name, ast.Constant,
               ast.Attribute, ast.Subscript, ast.IfExp, ast.Compare, ast.BoolOp, ast.Load,
               ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow, ast.USub, ast.UAdd, ast.Not,
               ast.And, ast.Or, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.Eq, ast.NotEq)
    for node in ast.walk(fdef.body[0]):
        assert isinstance(node, allowed), ast.dump(node)
        if isinstance(node, ast.Name):
            assert node.id in {"v", "math", "np", "abs", "min", "max"}, node.id
        if isinstance(node, ast.Attribute):
            assert isinstance(node.value, ast.Name)
            if node.value.id == "math":
                assert node.attr in _ALLOWED_ATTRS, node.attr
            else:
                assert node.value.id == "np" and node.attr in ("floor", "ceil"), node.attr
        if isinstance(node, ast.Subscript):
            assert isinstance(node.value, ast.Name) and node.value.id == "v"
            assert isinstance(node.slice, ast.Constant) and 0 <= node.slice.value < n
        if isinstance(node, ast.Constant):
            assert type(node.value) in (int, float) and math.isfinite(node.value)
        if isinstance(node, ast.Call):
            assert not node.keywords


# ----------------------------------------------------------------------------- accepted
@pytest.mark.parametrize(
    "text, point, expected",
    [
        ("x**2 - y**2", [3.0, 1.0], 8.0),
        ("-x**2", [3.0], -9.0),  # ** binds tighter than unary minus, as in Python
        ("2**-x", [1.0], 0.5),
        ("x - y - z", [1.0, 2.0, 3.0], -4.0),  # left-associative
        ("x / y / z", [8.0, 2.0, 2.0], 2.0),
        ("x ** y ** z", [2.0, 3.0, 2.0], 512.0),  # right-associative
        ("2*pi + e - tau", [0.0], math.e),
        ("x0 + 2*x3", [1.0, 0.0, 0.0, 5.0], 11.0),
        ("min(x, y, 0.5) + max(x, y)", [1.0, 2.0], 2.5),
        ("abs(x) + floor(y) + ceil(y)", [-1.5, 0.5], 2.5),
        ("atan2(y, x) + hypot(x, y)", [3.0, 4.0], math.atan2(4, 3) + 5.0),
        ("x if x > 0 else -x", [-2.0], 2.0),
        ("1 if 0 < x <= 1 and not y == 2 else 0", [0.5, 1.0], 1.0),
        ("1 if 0 < x <= 1 and not y == 2 else 0", [0.5, 2.0], 0.0),
        ("1 if x < 0 or y != 0 else 2", [1.0, 0.0], 2.0),
        ("x**-1", [0.0], math.inf),  # no ZeroDivisionError: numpy semantics
        ("x / y", [1.0, 0.0], math.inf),
        ("sqrt(x)", [-1.0], math.nan),
        ("log(x)", [0.0], -math.inf),
        ("10**400 + x", [0.0], math.inf),
        ("  x\t+ 1 ", [1.0], 2.0),
        ("(((((x)))))", [4.0], 4.0),
    ],
)
def test_accepted_expressions_evaluate_like_python(text, point, expected):
    f = compile_expression(text)
    got = f(point)
    if math.isnan(expected):
        assert math.isnan(got)
    else:
        assert got == pytest.approx(expected, rel=1e-15)


def test_every_function_matches_numpy():
    # one compiled expression per function would cost ~0.3 s each: check the generated
    # source of each in Python, and all of them in one numba function
    point = np.array([0.37, 0.81])
    total = 0.0
    parts = []
    for name, (_, lo, _) in FUNCTIONS.items():
        args = ["(x * 0.5)", "(y + 0.4)"][: max(lo, 1)]
        if name == "acosh":
            args = ["(x + 1.5)"]
        text = f"{name}({', '.join(args)})"
        source, _ = parse_expression(text, n=2)
        got = _python_function(source)(point)
        xs = [eval(a, {}, {"x": point[0], "y": point[1]}) for a in args]
        expected = _NUMPY[name](*xs)
        assert got == pytest.approx(expected, rel=1e-14), text
        total += expected
        parts.append(text)
    f = compile_expression(" + ".join(parts))
    assert f(point) == pytest.approx(total, rel=1e-13)


def test_result_fields_and_cache():
    f = compile_expression("x*y + z")
    assert f.variables == ("x", "y", "z") and f.n == 3
    assert f.source == "def f(v):\n    return ((v[0] * v[1]) + v[2])\n"
    assert compile_expression("x*y + z") is f  # same numba function: kernels compile once
    assert f([1.0, 2.0, 3.0]) == 5.0
    assert fastopt.compile_expression is compile_expression


def test_works_as_an_objective():
    f = compile_expression("(x - 1)**2 + (y + 0.5)**2")
    res = fastopt.grid_search(f.func, [(-2, 2), (-2, 2)], num=9)
    np.testing.assert_array_equal(res.x, [1.0, -0.5])


# ----------------------------------------------------------------------------- variables
@pytest.mark.parametrize(
    "text, kwargs, names",
    [
        ("x", {}, ("x",)),
        ("y", {}, ("x", "y")),
        ("z + 1", {}, ("x", "y", "z")),
        ("x", {"n": 3}, ("x", "y", "z")),
        ("x2", {}, ("x0", "x1", "x2")),
        ("x0", {"n": 5}, ("x0", "x1", "x2", "x3", "x4")),
        ("1 + pi", {}, ("x",)),
        ("1 + pi", {"n": 4}, ("x0", "x1", "x2", "x3")),
        ("a*b", {"variables": "a, b"}, ("a", "b")),
        ("a*b", {"variables": ["b", "a", "c"]}, ("b", "a", "c")),
        ("x_1 + y", {"variables": ("x_1", "y")}, ("x_1", "y")),
    ],
)
def test_variables(text, kwargs, names):
    _, got = parse_expression(text, **kwargs)
    assert got == names


def test_variables_map_to_coordinates():
    f = compile_expression("10*b + a", variables="a,b")
    assert f([1.0, 2.0]) == 21.0
    g = compile_expression("10*b + a", variables="b,a")
    assert g([1.0, 2.0]) == 12.0


@pytest.mark.parametrize(
    "text, kwargs, match",
    [
        ("q + 1", {}, r"unknown name 'q': variables are x, y, z or x0, x1"),
        ("x + x0", {}, "mixes x, y, z with x0, x1"),
        ("z", {"n": 2}, r"uses 'z' but the point has 2 coordinates \(x, y\)"),
        ("x5", {"n": 3}, r"uses x5 but the point has 3 coordinates"),
        ("x", {"n": 4}, "with 4 coordinates name the variables x0, x1"),
        ("x01", {}, "unknown name 'x01'"),
        ("a + c", {"variables": "a,b"}, "unknown name 'c': the variables are a, b"),
        ("a", {"variables": "a,a"}, "must be distinct; 'a' appears twice"),
        ("a", {"variables": "a,sin"}, "'sin' is taken by the function sin"),
        ("a", {"variables": "pi"}, "'pi' is taken by the constant pi"),
        ("a", {"variables": "a,_b"}, "must be identifiers"),
        ("a", {"variables": "a,2b"}, "must be identifiers"),
        ("a", {"variables": "a b"}, "must be identifiers"),
        ("a", {"variables": ""}, "must be identifiers"),
        ("a", {"variables": "a,b", "n": 3}, "2 variable names given"),
    ],
)
def test_bad_variables(text, kwargs, match):
    with pytest.raises(ValueError, match=match):
        parse_expression(text, **kwargs)


def test_bad_argument_types():
    with pytest.raises(TypeError, match="must be a string"):
        compile_expression(b"x")
    with pytest.raises(TypeError, match="comma-separated string or a sequence"):
        compile_expression("x", variables=3)
    with pytest.raises(ValueError, match="`n` must be a positive integer"):
        compile_expression("x", n=0)
    with pytest.raises(ValueError, match=r"must have shape \(2,\)"):
        compile_expression("x + y")([1.0, 2.0, 3.0])


# ----------------------------------------------------------------------------- rejected
@pytest.mark.parametrize(
    "text, match",
    [
        ("__import__('os')", r"names starting with an underscore .*'__import__'"),
        ("__builtins__", r"names starting with an underscore .*'__builtins__'"),
        ("_x", "names starting with an underscore"),
        ("x.real", r"attribute access not allowed in an expression: 'x.real' at column 1"),
        ("().__class__.__bases__[0]", "subscripts not allowed"),
        ("x.__class__", "attribute access not allowed"),
        ("math.sin(x)", r"attribute access is not allowed \(write sin\(\.\.\.\), not"),
        ("os.system('ls')", "attribute access not allowed in an expression: 'os.system'"),
        ("x[0]", "subscripts not allowed"),
        ("lambda: 1", "lambda not allowed"),
        ("[x for x in y]", "comprehensions not allowed"),
        ("(x for x in y)", "comprehensions not allowed"),
        ("[x]", "lists not allowed"),
        ("(x, y)", "tuples not allowed"),
        ("{x: 1}", "dicts not allowed"),
        ("{x}", "sets not allowed"),
        ("'x'", "string literals are not allowed"),
        ("b'x'", "string literals are not allowed"),
        ("f'{x}'", "f-strings not allowed"),
        ("1j * x", "complex numbers are not allowed"),
        ("True", "True/False are not allowed"),
        ("None", "None is not allowed"),
        ("...", "Ellipsis is not allowed"),
        ("foo(x)", r"unknown function 'foo' \(allowed: sin, cos"),
        ("eval('1')", "unknown function 'eval'"),
        ("exec('x')", "unknown function 'exec'"),
        ("getattr(x, 'y')", "unknown function 'getattr'"),
        ("open('/etc/passwd')", "unknown function 'open'"),
        ("(x)(1)", "unknown function 'x'"),
        ("sin(x)(y)", "only calls of the listed functions"),
        ("sin", r"'sin' is a function: call it as sin\(\.\.\.\)"),
        ("sin(x, y)", r"sin\(\) takes 1 argument, got 2"),
        ("atan2(x)", r"atan2\(\) takes 2 arguments, got 1"),
        ("min(x)", r"min\(\) takes at least 2 arguments, got 1"),
        ("sin(x=1)", "keyword arguments are not allowed"),
        ("max(*x)", "starred arguments are not allowed"),
        ("x // 2", "operator // is not allowed"),
        ("x % 2", "operator % is not allowed"),
        ("x @ y", "operator @ is not allowed"),
        ("x & y", "operator & is not allowed"),
        ("x << 2", "operator << is not allowed"),
        ("~x", "operator ~ is not allowed"),
        ("not x", "'not' is only allowed in the condition"),
        ("x > 1", "comparisons and and/or are only allowed in the condition"),
        ("x and y", "comparisons and and/or are only allowed in the condition"),
        ("x if y else z", "the condition of 'a if condition else b' must be a comparison"),
        ("1 if x is y else 0", r"only the comparisons < <= > >= == != are allowed"),
        ("1 if x in y else 0", r"only the comparisons < <= > >= == != are allowed"),
        ("(y := 2)", r"assignment \(:=\) not allowed"),
        ("x; y", "invalid expression at column 2"),
        ("x = 1", "invalid expression"),
        ("import os", "invalid expression"),
        ("x +", "invalid expression"),
        ("x\n+ 1", "invalid expression"),
        ("x\x00", "null bytes"),
        ("", "expression is empty"),
        ("   ", "expression is empty"),
        ("1e999", "too large for a float64"),
        ("10**400", None),  # accepted: overflows to inf at run time, like numpy
        ("x" * (MAX_LENGTH + 1), f"too long: {MAX_LENGTH + 1} characters"),
        ("(" * (MAX_DEPTH + 1) + "x" + ")" * (MAX_DEPTH + 1), "nested too deeply"),
        ("-" * (MAX_DEPTH + 5) + "x", "nested too deeply"),
        ("sin(" * (MAX_DEPTH + 1) + "x" + ")" * (MAX_DEPTH + 1), "nested too deeply"),
        ("x**" * 60 + "x", "nested too deeply"),
        ("1 if " + " and ".join(["x > 0"] * 3) + " else 0", None),
    ],
)
def test_rejections(text, match):
    if match is None:
        parse_expression(text)
        return
    with pytest.raises(ValueError, match=match):
        parse_expression(text)


def test_long_flat_chains_are_not_too_deep():
    source, _ = parse_expression(" + ".join(["x"] * 400))  # 1599 characters, depth 1
    assert source.count("v[0]") == 400


def test_error_messages_are_one_line():
    for text in ["x +\n 1", "foo(\n x)", "x.\nreal", "'a\\nb'"]:
        with pytest.raises(ValueError) as info:
            parse_expression(text)
        assert "\n" not in str(info.value)


# ----------------------------------------------------------------------------- fuzzing
_DANGEROUS = st.sampled_from([
    "x", "y", "z", "x0", "x1", "pi", "e", "1", "2.5", "1e3", "0", "(", ")", "[", "]", "{",
    "}", ",", ".", ":", ";", "=", "==", "<", ">", "+", "-", "*", "/", "**", "//", "%", "@",
    "~", "not", "and", "or", "if", "else", "lambda", "for", "in", "is", "'", '"', "\\", "\n",
    "sin", "exp", "min", "abs", "__import__", "__class__", "__builtins__", "os", "system",
    "eval", "exec", "open", "globals", "getattr", "mro", "__subclasses__", "import", "yield",
    "await", "True", "None", " ", "#", "$", "!", "?", "&", "|", "^", "j", "_",
])


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_DANGEROUS, max_size=30).map("".join))
@example("__import__('os').system('echo hacked')")
@example("().__class__.__bases__[0].__subclasses__()")
@example("sin.__globals__")
@example("(lambda: 0).__code__")
@example("[c for c in ().__class__.__base__.__subclasses__()]")
def test_fuzz_tokens_either_whitelisted_or_value_error(text):
    try:
        source, names = parse_expression(text)
    except ValueError:
        return
    _audit(source, len(names))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_fuzz_any_text_either_whitelisted_or_value_error(text):
    try:
        source, names = parse_expression(text)
    except ValueError:
        return
    _audit(source, len(names))


# Random expression trees of the grammar, rendered with as few parentheses as Python
# needs (so precedence and associativity are exercised), evaluated by numpy.
_PREC = {"if": 0, "or": 1, "and": 2, "not": 3, "cmp": 4, "+": 10, "-": 10, "*": 11,
         "/": 11, "neg": 12, "**": 13, "atom": 14}
_UNARY_FUNCS = ["sin", "cos", "tanh", "atan", "exp", "sqrt", "log", "abs", "floor"]


def _leaf():
    return st.one_of(
        st.integers(0, 2).map(lambda i: ("var", i)),
        st.sampled_from([0, 1, 2, 3, 0.5, 1.25, 10]).map(lambda c: ("num", c)),
        st.sampled_from(["pi", "e"]).map(lambda c: ("const", c)),
    )


def _extend(children):
    cond = st.tuples(st.sampled_from(["<", "<=", ">", ">=", "==", "!="]), children, children)
    cond = st.one_of(
        cond.map(lambda t: ("cmp", *t)),
        st.tuples(cond, cond).map(lambda t: ("and", ("cmp", *t[0]), ("cmp", *t[1]))),
        st.tuples(cond, cond).map(lambda t: ("or", ("cmp", *t[0]), ("cmp", *t[1]))),
        cond.map(lambda t: ("not", ("cmp", *t))),
    )
    return st.one_of(
        st.tuples(st.sampled_from(["+", "-", "*", "/"]), children, children),
        st.tuples(st.just("**"), children, st.integers(0, 3).map(lambda k: ("num", k))),
        st.tuples(st.just("neg"), children),
        st.tuples(st.sampled_from(_UNARY_FUNCS), children).map(lambda t: ("call", *t)),
        st.tuples(st.sampled_from(["min", "max", "atan2", "hypot"]), children, children).map(
            lambda t: ("call", *t)),
        st.tuples(st.just("if"), children, cond, children),
    )


_TREES = st.recursive(_leaf(), _extend, max_leaves=12)


def _render(node, paren_all=False):
    """Return (text, precedence)."""
    kind = node[0]

    def wrap(child, need):
        text, p = _render(child, paren_all)
        return f"({text})" if need(p) or (paren_all and p < 14) else text

    if kind == "var":
        return "xyz"[node[1]], 14
    if kind == "num":
        return repr(node[1]), 14
    if kind == "const":
        return node[1], 14
    if kind in ("+", "-", "*", "/"):
        p = _PREC[kind]
        left = wrap(node[1], lambda q: q < p)
        right = wrap(node[2], lambda q: q <= p)
        return f"{left} {kind} {right}", p
    if kind == "**":
        left = wrap(node[1], lambda q: q <= 13)
        right = wrap(node[2], lambda q: q < 12)
        return f"{left}**{right}", 13
    if kind == "neg":
        return "-" + wrap(node[1], lambda q: q < 12), 12
    if kind == "call":
        return f"{node[1]}({', '.join(_render(a)[0] for a in node[2:])})", 14
    if kind == "if":
        body = wrap(node[1], lambda q: q <= 0)
        test = _render(node[2])[0]
        orelse = _render(node[3])[0]
        return f"{body} if {test} else {orelse}", 0
    if kind == "cmp":
        left = wrap(node[2], lambda q: q <= 4)
        right = wrap(node[3], lambda q: q <= 4)
        return f"{left} {node[1]} {right}", 4
    if kind in ("and", "or"):
        p = _PREC[kind]
        left = wrap(node[1], lambda q: q < p)
        right = wrap(node[2], lambda q: q <= p)
        return f"{left} {kind} {right}", p
    if kind == "not":
        return "not " + wrap(node[1], lambda q: q < 3), 3
    raise AssertionError(kind)


_OPS = {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.divide}
_CMP = {"<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal,
        "==": np.equal, "!=": np.not_equal}


def _reference(node, v, scale):
    """Numpy evaluation of a tree; scale[0] tracks the largest |intermediate|."""
    kind = node[0]
    if kind == "var":
        out = v[node[1]]
    elif kind == "num":
        out = np.float64(node[1])
    elif kind == "const":
        out = np.float64(CONSTANTS[node[1]])
    elif kind in _OPS:
        out = _OPS[kind](_reference(node[1], v, scale), _reference(node[2], v, scale))
    elif kind == "**":
        out = _reference(node[1], v, scale) ** node[2][1]
    elif kind == "neg":
        out = -_reference(node[1], v, scale)
    elif kind == "call":
        out = _NUMPY[node[1]](*(np.float64(_reference(a, v, scale)) for a in node[2:]))
    elif kind == "if":
        out = (_reference(node[1], v, scale) if _condition(node[2], v, scale)
               else _reference(node[3], v, scale))
    else:
        raise AssertionError(kind)
    out = np.float64(out)
    if np.isfinite(out):
        scale[0] = max(scale[0], abs(float(out)))
    return out


def _condition(node, v, scale):
    kind = node[0]
    if kind == "cmp":
        return bool(_CMP[node[1]](_reference(node[2], v, scale), _reference(node[3], v, scale)))
    if kind == "and":
        return _condition(node[1], v, scale) and _condition(node[2], v, scale)
    if kind == "or":
        return _condition(node[1], v, scale) or _condition(node[2], v, scale)
    return not _condition(node[1], v, scale)


_POINTS = st.lists(st.sampled_from([0.0, 1.0, -1.0, 0.5, -2.0, 1.7, 3.0]), min_size=3,
                   max_size=3).map(lambda p: np.array(p, dtype=np.float64))


@settings(max_examples=300, deadline=None)
@given(_TREES, st.booleans(), _POINTS)
@example(("/", ("num", 0), ("num", 0)), False, np.zeros(3))  # nan, not ZeroDivisionError
@example(("**", ("num", 0), ("num", 3)), False, np.zeros(3))
def test_fuzz_grammar_generated_source_equals_numpy(tree, paren_all, v):
    text, _ = _render(tree, paren_all)
    source, names = parse_expression(text, n=3)
    _audit(source, 3)
    with np.errstate(all="ignore"):
        got = _python_function(source)(v)
        expected = _reference(tree, v, [0.0])
    # the same numpy operations in the same order: bit-for-bit equal
    assert np.array_equal(np.float64(got), expected, equal_nan=True), (text, source)


@settings(max_examples=20, deadline=None, derandomize=True)
@given(_TREES, _POINTS)
def test_fuzz_grammar_compiled_equals_numpy(tree, v):
    text, _ = _render(tree)
    assume(len(text) < 400)
    f = compile_expression(text, n=3)
    got = f.func(v)  # never raises: numpy semantics for 0 ** -1, log(0), ...
    scale = [1.0]
    with np.errstate(all="ignore"):
        expected = float(_reference(tree, v, scale))
    if math.isnan(expected) or math.isinf(expected):
        assert math.isnan(got) or got == expected or abs(got) > 1e300, (text, got, expected)
    else:
        assert abs(got - expected) <= 1e-9 * scale[0], (text, got, expected)
