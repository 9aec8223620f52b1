"""Recursive-descent parser for Rego v1 and v0 modules and queries."""

from __future__ import annotations

from typing import Any

import seccli.policy.rego.ast as syntax
from seccli.policy.rego.errors import RegoParseError
from seccli.policy.rego.lexer import EOF, IDENT, NUMBER, OP, STRING, TEMPLATE, Token, tokenize

FUTURE_KEYWORDS = ("in", "every", "contains", "if")
_RESERVED = {
    "true",
    "false",
    "null",
    "not",
    "with",
    "as",
    "package",
    "import",
    "default",
    "else",
    "some",
}
_REL_OPS = {"==": "equal", "!=": "neq", "<": "lt", "<=": "lte", ">": "gt", ">=": "gte"}
_ARITH = {"+": "plus", "-": "minus"}
_FACTOR = {"*": "mul", "/": "div", "%": "rem"}
MAX_DEPTH = 200


class Parser:
    """Parses one module or query; keywords depend on the Rego version and imports."""

    def __init__(self, src: str, file: str, v1: bool) -> None:
        self.file = file
        self.toks = tokenize(src, file)
        self.pos = 0
        self.v1 = v1
        self.keywords: set[str] = set(FUTURE_KEYWORDS) if v1 else set()
        self.strict_v1 = v1
        self.nl_stack: list[bool] = [True]
        self.no_or: list[bool] = [False]
        self.depth = 0
        self.wild = 0
        self.special_imports: set[str] = set()

    # -- token helpers -------------------------------------------------------------------------
    @property
    def tok(self) -> Token:
        return self.toks[self.pos]

    def peek(self, k: int = 1) -> Token:
        return self.toks[min(self.pos + k, len(self.toks) - 1)]

    def err(self, msg: str, tok: Token | None = None) -> RegoParseError:
        t = tok or self.tok
        return RegoParseError(msg, file=self.file, line=t.line, column=t.col)

    def advance(self) -> Token:
        t = self.toks[self.pos]
        if t.kind != EOF:
            self.pos += 1
        return t

    def is_op(self, text: str) -> bool:
        t = self.tok
        return t.kind == OP and t.text == text

    def is_kw(self, word: str) -> bool:
        t = self.tok
        return (
            t.kind == IDENT
            and t.text == word
            and (word not in FUTURE_KEYWORDS or word in self.keywords)
        )

    def expect_op(self, text: str) -> Token:
        if not self.is_op(text):
            raise self.err(f"expected {text!r} but found {self.describe()}")
        return self.advance()

    def describe(self, t: Token | None = None) -> str:
        t = t or self.tok
        if t.kind == EOF:
            return "end of input"
        return repr(t.text)

    def cont(self) -> bool:
        """True when the current token may continue the expression (no significant newline)."""
        return not (self.tok.nl and self.nl_stack[-1])

    def cont_op(self, text: str) -> bool:
        return self.is_op(text) and (text != "-" or self.cont())

    def cont_binop(self) -> bool:
        """A binary operator may continue an expression across a newline (not ``-``)."""
        t = self.tok
        return t.kind == OP and (t.text != "-" or self.cont())

    def push(self, sensitive: bool) -> None:
        self.nl_stack.append(sensitive)
        self.no_or.append(False)
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.err("expression nesting too deep")

    def pop(self) -> None:
        self.nl_stack.pop()
        self.no_or.pop()
        self.depth -= 1

    # -- module --------------------------------------------------------------------------------
    def parse_module(self) -> syntax.Module:
        if not self.is_kw("package"):
            raise self.err(f"expected 'package' but found {self.describe()}")
        self.advance()
        pkg_ref = self.parse_ref_path()
        package = pkg_ref
        imports: list[syntax.Import] = []
        rules: list[syntax.Rule] = []
        while self.is_kw("import"):
            imports.append(self.parse_import())
        while self.tok.kind != EOF:
            if self.is_kw("import"):
                raise self.err("import must come before rules")
            if self.is_kw("package"):
                raise self.err("unexpected 'package': one package per module")
            rules.extend(self.parse_rule())
        return syntax.Module(self.file, package, imports, rules, self.strict_v1)

    def parse_ref_path(self) -> list[str]:
        t = self.tok
        if t.kind != IDENT:
            raise self.err(f"expected a name but found {self.describe()}")
        parts = [self.advance().text]
        while True:
            if self.is_op(".") and not self.tok.ws:
                self.advance()
                if self.tok.kind != IDENT:
                    raise self.err(f"expected a name after '.' but found {self.describe()}")
                parts.append(self.advance().text)
            elif self.is_op("[") and not self.tok.ws:
                self.advance()
                if self.tok.kind != STRING:
                    raise self.err("expected a string key in package path")
                parts.append(str(self.advance().value))
                self.expect_op("]")
            else:
                return parts

    def parse_import(self) -> syntax.Import:
        start = self.advance()
        path = self.parse_ref_path()
        alias = None
        if self.is_kw("as") and self.cont():
            self.advance()
            if self.tok.kind != IDENT:
                raise self.err("expected an alias name after 'as'")
            alias = self.advance().text
        root = path[0]
        key = ".".join(path[:2])
        if key in ("rego.v1", "future.keywords"):
            if "rego.v1" in self.special_imports or (
                key == "rego.v1" and "future.keywords" in self.special_imports
            ):
                raise self.err(f"this import shadows previous import of {'.'.join(path)}", start)
            self.special_imports.add(key)
        if root == "future":
            if len(path) < 2 or path[1] != "keywords":
                raise self.err("invalid import: only future.keywords is supported", start)
            if len(path) == 2:
                self.keywords.update(FUTURE_KEYWORDS)
            elif len(path) == 3 and path[2] in FUTURE_KEYWORDS:
                self.keywords.add(path[2])
            else:
                raise self.err(f"unexpected keyword import {'.'.join(path)}", start)
        elif root == "rego":
            if path != ["rego", "v1"]:
                raise self.err(f"invalid import {'.'.join(path)}", start)
            self.keywords.update(FUTURE_KEYWORDS)
            self.strict_v1 = True
        elif root not in ("data", "input"):
            raise self.err(
                f"invalid import {'.'.join(path)}: path must begin with input or data", start
            )
        return syntax.Import(start.line, start.col, path, alias)

    # -- rules ---------------------------------------------------------------------------------
    def parse_rule(self) -> list[syntax.Rule]:
        start = self.tok
        default = False
        if self.is_kw("default"):
            default = True
            self.advance()
        if self.tok.kind != IDENT or self.tok.text in _RESERVED:
            raise self.err(f"unexpected {self.describe()}: expected a rule")
        name_tok = self.advance()
        ref: list[syntax.Term] = [syntax.Scalar(name_tok.line, name_tok.col, name_tok.text)]
        args: list[syntax.Term] | None = None
        # head reference
        while True:
            if self.is_op(".") and not self.tok.ws:
                self.advance()
                if self.tok.kind != IDENT:
                    raise self.err("expected a name after '.'")
                t = self.advance()
                ref.append(syntax.Scalar(t.line, t.col, t.text))
            elif self.is_op("[") and not self.tok.ws:
                self.advance()
                self.push(False)
                ref.append(self.parse_term_expr())
                self.pop()
                self.expect_op("]")
            elif self.is_op("(") and not self.tok.ws and args is None and len(ref) >= 1:
                self.advance()
                self.push(False)
                args = self._call_args()
                self.pop()
                self.expect_op(")")
                break
            else:
                break
        key: syntax.Term | None = None
        value: syntax.Term | None = None
        kind = "complete"
        if args is not None:
            kind = "func"
        if self.is_kw("contains") and self.cont():
            if args is not None or default:
                raise self.err("'contains' is not allowed here")
            self.advance()
            key = self.parse_term_expr()
            kind = "set"
        elif (self.is_op(":=") or self.is_op("=")) and self.cont():
            self.advance()
            value = self.parse_term_expr()
        if kind == "complete" and len(ref) > 1:
            last = ref[-1]
            if value is None and not self.strict_v1 and len(ref) == 2:
                # v0 partial set: p[x] { ... }
                kind = "set"
                key = ref.pop()
            elif not isinstance(last, syntax.Scalar) or not isinstance(last.value, str):
                kind = "object"
            else:
                kind = "complete"
        if default:
            constant_keys = kind == "object" and all(
                isinstance(t, (syntax.Scalar, syntax.ArrayTerm, syntax.ObjectTerm, syntax.SetTerm))
                for t in ref[1:]
            )
            if (kind not in ("complete", "func") and not constant_keys) or value is None:
                raise self.err("default rules must have a value", name_tok)
            if args is not None and any(not isinstance(a, syntax.Var) for a in args):
                raise self.err("default function arguments must be variables", name_tok)
            return [
                syntax.Rule(
                    start.line, start.col, ref, kind, args, None, value, [], None, True, self.file
                )
            ]
        body, has_body = self.parse_rule_body(name_tok)
        orelse: syntax.RuleBody | None = None
        tail: syntax.RuleBody | None = None
        while self.is_kw("else"):
            if kind not in ("complete", "func"):
                raise self.err("'else' is only allowed on complete rules and functions")
            etok = self.advance()
            evalue: syntax.Term | None = None
            if self.is_op(":=") or self.is_op("="):
                self.advance()
                evalue = self.parse_term_expr()
            ebody, _ = self.parse_rule_body(etok)
            rb = syntax.RuleBody(etok.line, etok.col, ebody, evalue)
            if tail is None:
                orelse = rb
            else:
                tail.orelse = rb
            tail = rb
        if (
            not has_body
            and value is None
            and kind != "set"
            and ((len(ref) == 1 and args is None) or self.strict_v1)
        ):
            raise self.err(f"rule {name_tok.text!r} must have a body or assignment", name_tok)
        rules = [
            syntax.Rule(
                start.line, start.col, ref, kind, args, key, value, body, orelse, False, self.file
            )
        ]
        # several bodies for one head: p { a } { b }, f(x) = y { a } { b }
        while self.is_op("{") and has_body:
            extra = self.parse_braced_body()
            rules.append(
                syntax.Rule(
                    start.line,
                    start.col,
                    ref,
                    kind,
                    args,
                    key,
                    value,
                    extra,
                    None,
                    False,
                    self.file,
                )
            )
        return rules

    def parse_rule_body(self, head: Token) -> tuple[list[syntax.Literal], bool]:
        if self.is_kw("if"):
            self.advance()
            if self.is_op("{"):
                return self.parse_braced_body(), True
            self.push(True)
            lit = self.parse_literal()
            self.pop()
            return [lit], True
        if self.is_op("{") and (self.cont() or not self.strict_v1):
            if self.strict_v1:
                raise self.err("`if` keyword is required before rule body")
            return self.parse_braced_body(), True
        true = syntax.Scalar(head.line, head.col, True)
        return [syntax.Literal(head.line, head.col, true)], False

    def parse_braced_body(self) -> list[syntax.Literal]:
        self.expect_op("{")
        body = self.parse_query("}")
        self.expect_op("}")
        if not body:
            raise self.err("found empty body")
        return body

    # -- queries -------------------------------------------------------------------------------
    def parse_query(self, end: str | None) -> list[syntax.Literal]:
        self.push(True)
        lits: list[syntax.Literal] = []
        while True:
            if end is not None and self.is_op(end):
                break
            if self.tok.kind == EOF:
                if end is not None:
                    raise self.err(f"expected {end!r} but found end of input")
                break
            if lits and not (self.tok.nl or self.is_op(";")):
                raise self.err(f"unexpected {self.describe()}: expected end of expression")
            while self.is_op(";"):
                self.advance()
            if end is not None and self.is_op(end):
                break
            if self.tok.kind == EOF:
                break
            lits.append(self.parse_literal())
        self.pop()
        return lits

    def parse_literal(self) -> syntax.Literal:
        t = self.tok
        if self.is_kw("some"):
            return syntax.Literal(t.line, t.col, self.parse_some())
        if self.is_kw("every"):
            return syntax.Literal(t.line, t.col, self.parse_every())
        negated = False
        if self.is_kw("not"):
            self.advance()
            negated = True
        expr = self.parse_expr()
        withs: list[syntax.With] = []
        while self.is_kw("with"):
            w = self.advance()
            target = self.parse_term_expr(no_in=True)
            if not self.is_kw("as"):
                raise self.err("expected 'as' in with modifier")
            self.advance()
            value = self.parse_term_expr(no_in=True)
            withs.append(syntax.With(w.line, w.col, target, value))
        return syntax.Literal(t.line, t.col, expr, negated, withs)

    def parse_some(self) -> syntax.Expr:
        t = self.advance()
        first = self.parse_term_expr(no_in=True)
        items = [first]
        while self.is_op(",") and self.cont():
            self.advance()
            items.append(self.parse_term_expr(no_in=True))
        if self.is_kw("in") and self.cont():
            self.advance()
            coll = self.parse_term_expr(no_in=True)
            if len(items) > 2:
                raise self.err("too many terms in 'some ... in'", t)
            key = items[0] if len(items) == 2 else None
            return syntax.SomeIn(t.line, t.col, key, items[-1], coll)
        names: list[syntax.Var] = []
        for it in items:
            if not isinstance(it, syntax.Var):
                raise self.err("expected variables after 'some'", t)
            names.append(it)
        return syntax.SomeDecl(t.line, t.col, names)

    def parse_every(self) -> syntax.Expr:
        t = self.advance()
        first = self.parse_term_expr(no_in=True)
        key: syntax.Term | None = None
        value = first
        if self.is_op(","):
            self.advance()
            key = first
            value = self.parse_term_expr(no_in=True)
        if not self.is_kw("in"):
            raise self.err("expected 'in' after every variables")
        self.advance()
        domain = self.parse_term_expr(no_in=True)
        for v in (key, value):
            if v is not None and not isinstance(v, syntax.Var):
                raise self.err("every binds variables only", t)
        body = self.parse_braced_body()
        return syntax.Every(t.line, t.col, key, value, domain, body)

    def parse_expr(self) -> syntax.Expr:
        left = self._key_membership(self.parse_term_expr())
        if self.cont_op(":="):
            t = self.advance()
            right = self._key_membership(self.parse_term_expr())
            return syntax.Assign(t.line, t.col, left, right)
        if self.cont_op("="):
            t = self.advance()
            right = self._key_membership(self.parse_term_expr())
            return syntax.Unify(t.line, t.col, left, right)
        return left

    def _key_membership(self, first: syntax.Term) -> syntax.Term:
        """``k, v in xs`` as a whole expression."""
        if not (self.is_op(",") and self.cont() and "in" in self.keywords):
            return first
        save = self.pos
        self.advance()
        try:
            value = self._parse_rel()
        except RegoParseError:
            self.pos = save
            return first
        if not (self.is_kw("in") and self.cont()):
            self.pos = save
            return first
        t = self.advance()
        coll = self._parse_rel()
        return syntax.Membership(t.line, t.col, first, value, coll)

    # -- terms with operators --------------------------------------------------------------------
    def parse_term_expr(self, no_in: bool = False) -> syntax.Term:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.err("expression nesting too deep")
        try:
            return self._parse_in(no_in)
        finally:
            self.depth -= 1

    def _parse_in(self, no_in: bool) -> syntax.Term:
        left = self._parse_rel()
        if no_in:
            return left
        while self.is_kw("in") and self.cont():
            t = self.advance()
            right = self._parse_rel()
            left = syntax.Membership(t.line, t.col, None, left, right)
        # k, v in xs  (only valid as a whole expression in a comprehension/literal context)
        return left

    def _parse_rel(self) -> syntax.Term:
        left = self._parse_or()
        while self.tok.kind == OP and self.tok.text in _REL_OPS and self.cont_binop():
            t = self.advance()
            right = self._parse_or()
            left = syntax.Call(
                t.line,
                t.col,
                _REL_OPS[t.text],
                syntax.Scalar(t.line, t.col, _REL_OPS[t.text]),
                [left, right],
            )
        return left

    def _parse_or(self) -> syntax.Term:
        left = self._parse_and()
        while self.cont_op("|") and not self.no_or[-1]:
            t = self.advance()
            right = self._parse_and()
            op = syntax.Scalar(t.line, t.col, "or")
            left = syntax.Call(t.line, t.col, "or", op, [left, right])
        return left

    def _parse_and(self) -> syntax.Term:
        left = self._parse_arith()
        while self.cont_op("&"):
            t = self.advance()
            right = self._parse_arith()
            op = syntax.Scalar(t.line, t.col, "and")
            left = syntax.Call(t.line, t.col, "and", op, [left, right])
        return left

    def _parse_arith(self) -> syntax.Term:
        left = self._parse_factor()
        while self.tok.kind == OP and self.tok.text in _ARITH and self.cont_binop():
            t = self.advance()
            right = self._parse_factor()
            op = _ARITH[t.text]
            left = syntax.Call(t.line, t.col, op, syntax.Scalar(t.line, t.col, op), [left, right])
        return left

    def _parse_factor(self) -> syntax.Term:
        left = self._parse_unary()
        while self.tok.kind == OP and self.tok.text in _FACTOR and self.cont_binop():
            t = self.advance()
            right = self._parse_unary()
            op = _FACTOR[t.text]
            left = syntax.Call(t.line, t.col, op, syntax.Scalar(t.line, t.col, op), [left, right])
        return left

    def _parse_unary(self) -> syntax.Term:
        if self.is_op("-"):
            t = self.advance()
            if self.tok.kind == NUMBER:
                n = self.advance()
                base: syntax.Term = syntax.Scalar(t.line, t.col, -n.value)  # type: ignore[operator]
                return self.parse_ref_tail(base)
            operand = self._parse_unary()
            return syntax.Call(
                t.line,
                t.col,
                "minus",
                syntax.Scalar(t.line, t.col, "minus"),
                [syntax.Scalar(t.line, t.col, 0), operand],
            )
        return self.parse_primary()

    # -- primaries -------------------------------------------------------------------------------
    def parse_primary(self) -> syntax.Term:
        t = self.tok
        if t.kind == NUMBER:
            self.advance()
            return self.parse_ref_tail(syntax.Scalar(t.line, t.col, t.value))
        if t.kind == STRING:
            self.advance()
            return self.parse_ref_tail(syntax.Scalar(t.line, t.col, t.value))
        if t.kind == TEMPLATE:
            self.advance()
            parts: list[Any] = []
            for kind, val in t.value:  # type: ignore[attr-defined]
                if kind == "text":
                    parts.append(val)
                    continue
                try:
                    sub = Parser(val, self.file, self.v1)
                    sub.keywords = set(self.keywords)
                    sub.strict_v1 = self.strict_v1
                    sub.wild = self.wild + 1000
                    lits = sub.parse_query(None)
                except RegoParseError as err:
                    # the expression is parsed on its own: report it at the template string
                    raise RegoParseError(
                        f"in a template string: {err.detail}",
                        file=self.file,
                        line=t.line,
                        column=t.col,
                    ) from None
                self.wild = sub.wild
                if len(lits) != 1:
                    raise self.err("a template string expression must be one expression", t)
                parts.append(lits[0])
            return syntax.TemplateString(t.line, t.col, parts)
        if t.kind == IDENT:
            word = t.text
            if word in ("true", "false", "null"):
                self.advance()
                constants = {"true": True, "false": False, "null": None}
                return syntax.Scalar(t.line, t.col, constants[word])
            callable_kw = word == "contains" and self.peek().kind == OP and self.peek().text == "("
            if (word in _RESERVED or word in self.keywords) and not callable_kw:
                raise self.err(f"unexpected keyword {word!r}")
            self.advance()
            if (
                word == "set"
                and self.is_op("(")
                and self.peek().kind == OP
                and self.peek().text == ")"
            ):
                self.advance()
                self.advance()
                return syntax.SetTerm(t.line, t.col, [])
            if word == "_":
                self.wild += 1
                base: syntax.Term = syntax.Var(t.line, t.col, f"_$w{self.wild}")
            else:
                base = syntax.Var(t.line, t.col, word)
            return self.parse_ref_tail(base)
        if t.kind == OP:
            if t.text == "(":
                self.advance()
                self.push(False)
                inner = self.parse_term_expr()
                self.pop()
                self.expect_op(")")
                return self.parse_ref_tail(inner)
            if t.text == "[":
                return self.parse_ref_tail(self.parse_array())
            if t.text == "{":
                return self.parse_ref_tail(self.parse_brace())
        raise self.err(f"unexpected {self.describe()}")

    def parse_ref_tail(self, base: syntax.Term) -> syntax.Term:
        path: list[syntax.Term] = []
        node = base
        while True:
            t = self.tok
            if t.kind == OP and t.text == "." and not t.ws:
                self.advance()
                n = self.tok
                if n.kind != IDENT or n.ws:
                    raise self.err(f"expected a name after '.' but found {self.describe()}")
                self.advance()
                path.append(syntax.Scalar(n.line, n.col, n.text))
            elif t.kind == OP and t.text == "[" and not t.ws:
                self.advance()
                self.push(False)
                path.append(self.parse_term_expr())
                self.pop()
                self.expect_op("]")
            elif t.kind == OP and t.text == "(" and not t.ws:
                name = self._call_name(node, path)
                if name is None:
                    raise self.err("invalid call target")
                self.advance()
                self.push(False)
                args = self._call_args()
                self.pop()
                self.expect_op(")")
                fref: syntax.Term = (
                    syntax.Ref(node.line, node.col, node, list(path)) if path else node
                )
                node = syntax.Call(base.line, base.col, name, fref, args)
                base = node
                path = []
                continue
            else:
                break
        if path:
            return syntax.Ref(base.line, base.col, base, path)
        return base

    def _call_args(self) -> list[syntax.Term]:
        """Arguments up to (not including) ``)``; a trailing comma is allowed."""
        args: list[syntax.Term] = []
        while not self.is_op(")"):
            args.append(self.parse_term_expr())
            if not self.is_op(","):
                break
            self.advance()
        return args

    @staticmethod
    def _call_name(node: syntax.Term, path: list[syntax.Term]) -> str | None:
        if not isinstance(node, syntax.Var):
            return None
        parts = [node.name]
        for p in path:
            if isinstance(p, syntax.Scalar) and isinstance(p.value, str):
                parts.append(p.value)
            else:
                return None
        return ".".join(parts)

    def parse_array(self) -> syntax.Term:
        t = self.expect_op("[")
        self.push(False)
        if self.is_op("]"):
            self.advance()
            self.pop()
            return syntax.ArrayTerm(t.line, t.col, [])
        self.no_or[-1] = True
        first = self.parse_term_expr()
        self.no_or[-1] = False
        first = self._or_in_collection(first, "]")
        if self.is_op("|"):
            self.advance()
            body = self.parse_query("]")
            self.expect_op("]")
            self.pop()
            return syntax.ArrayCompr(t.line, t.col, first, body)
        items = [first]
        while self.is_op(","):
            self.advance()
            if self.is_op("]"):
                break
            items.append(self.parse_term_expr())
        self.expect_op("]")
        self.pop()
        return syntax.ArrayTerm(t.line, t.col, items)

    def _or_in_collection(
        self, first: syntax.Term, close: str, at_close: bool = False
    ) -> syntax.Term:
        """``[a | b, c]`` is an array holding ``a | b``, not a comprehension."""
        while self.is_op("|"):
            save = self.pos
            t = self.advance()
            try:
                right = self._parse_and()
            except RegoParseError:
                self.pos = save
                return first
            if self.is_op(",") or (at_close and self.is_op(close)):
                op = syntax.Scalar(t.line, t.col, "or")
                first = syntax.Call(t.line, t.col, "or", op, [first, right])
                continue
            self.pos = save
            return first
        return first

    def parse_brace(self) -> syntax.Term:
        t = self.expect_op("{")
        self.push(False)
        try:
            if self.is_op("}"):
                self.advance()
                return syntax.ObjectTerm(t.line, t.col, [])
            self.no_or[-1] = True
            first = self.parse_term_expr()
            val: syntax.Term | None = None
            if self.is_op(":"):
                self.advance()
                val = self.parse_term_expr()
            self.no_or[-1] = False
            if val is not None:
                val = self._or_in_collection(val, "}")
                if self.is_op("|"):
                    self.advance()
                    body = self.parse_query("}")
                    self.expect_op("}")
                    return syntax.ObjectCompr(t.line, t.col, first, val, body)
                pairs = [(first, val)]
                while self.is_op(","):
                    self.advance()
                    if self.is_op("}"):
                        break
                    k = self.parse_term_expr()
                    self.expect_op(":")
                    pairs.append((k, self.parse_term_expr()))
                self.expect_op("}")
                return syntax.ObjectTerm(t.line, t.col, pairs)
            first = self._or_in_collection(first, "}")
            if self.is_op("|"):
                self.advance()
                body = self.parse_query("}")
                self.expect_op("}")
                return syntax.SetCompr(t.line, t.col, first, body)
            items = [first]
            while self.is_op(","):
                self.advance()
                if self.is_op("}"):
                    break
                items.append(self.parse_term_expr())
            self.expect_op("}")
            return syntax.SetTerm(t.line, t.col, items)
        finally:
            self.pop()


def parse_module(
    src: str, file: str = "<module>", *, v0: bool = False, v0_keywords: bool = False
) -> syntax.Module:
    """Parse one module; ``v0`` selects Rego v0 syntax (keywords only via imports, unless
    ``v0_keywords`` turns the future keywords on as if imported)."""
    try:
        p = Parser(src, file, not v0)
        if v0 and v0_keywords:
            p.keywords.update(FUTURE_KEYWORDS)
        return p.parse_module()
    except RecursionError:
        raise RegoParseError("source nesting too deep", file=file, line=1, column=1) from None


def parse_query(src: str, *, v0: bool = False, keywords: bool = True) -> list[syntax.Literal]:
    """Parse a query (a body without braces)."""
    p = Parser(src, "<query>", not v0)
    if keywords:
        p.keywords.update(FUTURE_KEYWORDS)
    try:
        body = p.parse_query(None)
    except RecursionError:
        raise RegoParseError("query nesting too deep", file="<query>", line=1, column=1) from None
    if not body:
        raise RegoParseError("empty query", file="<query>", line=1, column=1)
    return body
