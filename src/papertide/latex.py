"""LaTeX text markup -> plain text: what arXiv titles and abstracts carry where people read text.

arXiv metadata is LaTeX source: `97.3\\%`, `58--75`, `\\textbf{DreamX}`, ``` ``quoted'' ```,
`Fig.~3`, `\\"{o}`. `latex_to_text` turns that markup into the text it stands for. Math
(`$…$`, `$$…$$`, `\\(…\\)`, `\\[…\\]`) is either kept exactly as written, for KaTeX on pages,
or simplified to readable Unicode (`$16\\times$` -> `16×`) for mails and feeds. Macros a paper
defines for itself (`\\method`) cannot be known here and stay as written. Pure functions only.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

__all__ = ["Part", "latex_parts", "latex_to_text", "simplify_math"]

MathMode = Literal["keep", "plain"]
NBSP = "\u00a0"


@dataclass(frozen=True, slots=True)
class Part:
    """A piece of converted text: plain text, or a math span exactly as written (delimiters
    included). A `$` inside a text part is a literal dollar sign (it was `\\$`)."""

    text: str
    math: bool = False


# Placeholders keep math, URLs and escaped characters out of the text rules. They are made of
# private-use characters, which arXiv text does not contain.
_OPEN, _CLOSE, _BASE = "\ue000", "\ue001", 0xE100
_SLOT = re.compile(f"{_OPEN}(.){_CLOSE}", re.S)

_MATH = re.compile(
    r"(?<!\\)\$\$(?:[^$\\]|\\.)+?\$\$"  # display $$…$$
    r"|(?<!\\)\\\[.+?\\\]"  # display \[…\]
    r"|(?<!\\)\\\(.+?\\\)"  # inline \(…\)
    r"|(?<!\\)\$(?:[^$\\]|\\.)+?\$",  # inline $…$, paired left to right as KaTeX pairs them
    re.S,
)
_URL = re.compile(r"https?://[^\s{}<>\"]+[^\s{}<>\".,;:!?)\]]")

_ESCAPED = {"%": "%", "&": "&", "_": "_", "#": "#", "{": "{", "}": "}", "$": "$"}
_SPACES = {",": " ", ";": " ", ":": " ", " ": " ", "!": "", "/": "", "@": "", "-": ""}

# \'{e} and friends: the accent as a combining character (composed again by NFC).
_ACCENTS = {
    "'": "\u0301",
    "`": "\u0300",
    "^": "\u0302",
    '"': "\u0308",
    "~": "\u0303",
    "=": "\u0304",
    ".": "\u0307",
    "u": "\u0306",
    "v": "\u030c",
    "H": "\u030b",
    "c": "\u0327",
    "k": "\u0328",
    "r": "\u030a",
}
_LETTERS = {
    "ss": "ß",
    "o": "ø",
    "O": "Ø",
    "ae": "æ",
    "AE": "Æ",
    "oe": "œ",
    "OE": "Œ",
    "aa": "å",
    "AA": "Å",
    "l": "ł",
    "L": "Ł",
    "i": "ı",
    "j": "ȷ",
}
_TEXT_SYMBOLS = {
    "ldots": "…",
    "dots": "…",
    "textellipsis": "…",
    "textendash": "–",
    "textemdash": "—",
    "textquoteleft": "‘",
    "textquoteright": "’",
    "textquotedblleft": "“",
    "textquotedblright": "”",
    "S": "§",
    "P": "¶",
    "copyright": "©",
    "textcopyright": "©",
    "textregistered": "®",
    "texttrademark": "™",
    "textdegree": "°",
    "textasciitilde": "~",
    "textasciicircum": "^",
    "textbackslash": "\\",
    "textless": "<",
    "textgreater": ">",
    "textbar": "|",
    "textbullet": "•",
    "LaTeX": "LaTeX",
    "TeX": "TeX",
    # Abbreviation macros of the CVPR/ICCV style files, common in computer-vision abstracts.
    "eg": "e.g.",
    "ie": "i.e.",
    "etal": "et al.",
    "vs": "vs.",
    "wrt": "w.r.t.",
    "etc": "etc.",
    "cf": "cf.",
    "xspace": "",
    "nobreakdash": "",
    "newline": " ",
    "linebreak": " ",
    "par": "\n\n",
    "noindent": "",
    "centering": "",
    "quad": " ",
    "qquad": " ",
}
# Commands whose argument is the text itself (fonts, boxes, emphasis).
_UNWRAP = (
    "textbf|textit|emph|textsc|texttt|textrm|textsf|textsl|textup|textmd|textnormal|underline|"
    "uline|mbox|hbox|makebox|text|mathrm|mathbf|mathit|mathsf|mathtt|boldsymbol|bm|fbox|"
    "textcolor\\{[^{}]*\\}|color\\{[^{}]*\\}|sout|hl"
)
_UNWRAP_CMD = re.compile(rf"\\(?:{_UNWRAP})\s*\{{([^{{}}]*)\}}")
_DECLARATIONS = (
    "em|it|bf|sc|tt|rm|sl|sf|bfseries|itshape|scshape|ttfamily|upshape|mdseries|normalfont|"
    "small|large|Large|footnotesize|tiny|huge|Huge"
)
_DECLARED_GROUP = re.compile(rf"\{{\s*((?:\\(?:{_DECLARATIONS})(?![A-Za-z])\s*)+)([^{{}}]*)\}}")
_BARE_DECLARATION = re.compile(rf"\\(?:{_DECLARATIONS})(?![A-Za-z])\s*")
_CITE = re.compile(
    r"\\(?:cite[a-z]*|citep|citet|citealp|citeauthor)\*?\s*(?:\[[^\]]*\])*\{([^{}]*)\}"
)
_DROP_WITH_ARG = re.compile(r"\\(?:label|vspace|hspace|phantom)\*?\s*\{[^{}]*\}")
_FOOTNOTE = re.compile(r"\s*\\footnote\s*(?:\[[^\]]*\])?\s*\{([^{}]*)\}")
_SUPERSCRIPT_CMD = re.compile(r"\\textsuperscript\s*\{([^{}]*)\}")
_SUBSCRIPT_CMD = re.compile(r"\\textsubscript\s*\{([^{}]*)\}")
_ACCENT_SYMBOL = re.compile(r"\\(['`^\"~=.])\s*(?:\{\s*(\\?[A-Za-z])\s*\}|(\\?[A-Za-z]))")
_ACCENT_LETTER = re.compile(r"\\([uvHckr])(?:\s*\{\s*(\\?[A-Za-z])\s*\}|\s+([A-Za-z]))")
_LETTER_CMD = re.compile(r"\\(ss|ae|AE|oe|OE|aa|AA|o|O|l|L|i|j)(?![A-Za-z])(?:\s*\{\})?\s?")
_SYMBOL_CMD = re.compile(r"\\([A-Za-z]+)(?![A-Za-z])(?:\s*\{\})?")
_GROUP = re.compile(r"(?<![A-Za-z\]])\{([^{}]*)\}")
_EMPTY_ARG = re.compile(r"(\\[A-Za-z]+)\{\}")


class _Slots:
    """Stores protected pieces and hands out placeholders for them."""

    def __init__(self) -> None:
        self.items: list[Part] = []

    def put(self, text: str, *, math: bool = False) -> str:
        self.items.append(Part(text, math))
        return f"{_OPEN}{chr(_BASE + len(self.items) - 1)}{_CLOSE}"

    def get(self, match: re.Match[str]) -> Part:
        return self.items[ord(match.group(1)) - _BASE]


def _combine(letter: str, accent: str) -> str:
    base = _LETTERS.get(letter.lstrip("\\"), letter.lstrip("\\")) if "\\" in letter else letter
    if base == "ı":  # \'{\i}: the accent goes on a dotless i, which composes as a plain i
        base = "i"
    return unicodedata.normalize("NFC", base + accent)


def _tilde(text: str, i: int) -> str:
    """What `~` at text[i] stands for: a non-breaking space (`Fig.~3`, `1~mm`), or the tilde
    itself when it means "about" (`~5%` at the start of a word, `z~5` after a lone letter)."""
    before = text[:i]
    if not before or not (before[-1].isalnum() or before[-1] in f".)]{_CLOSE}"):
        return "~"
    word = re.search(r"[A-Za-z]+$", before)
    if word and len(word.group(0)) == 1 and i + 1 < len(text) and text[i + 1].isdigit():
        return "~"
    return NBSP


_SUP = str.maketrans("0123456789+-=()ni", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿⁱ")
_SUB = str.maketrans("0123456789+-=()aehijklmnoprstuvx", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ")
_SUP_CHARS = set("0123456789+-=()ni")
_SUB_CHARS = set("0123456789+-=()aehijklmnoprstuvx")


def _script(content: str, table: dict[int, int], chars: set[str], mark: str) -> str:
    """A super- or subscript in Unicode when every character has one, else `mark` + content."""
    content = _BARE_STYLE.sub("", content).strip()
    if content and set(content) <= chars:
        return content.translate(table)
    plain = content.isalnum() or (content.startswith("(") and content.endswith(")"))
    return f"{mark}{content}" if plain else f"{mark}({content})"


def _repeat(pattern: re.Pattern[str], repl: str | Callable[[re.Match[str]], str], text: str) -> str:
    """Apply a substitution until nothing changes (nested groups unwrap from the inside)."""
    for _ in range(20):
        new = pattern.sub(repl, text)
        if new == text:
            return new
        text = new
    return text


def _convert_text(text: str) -> str:
    """Text markup to text; placeholders pass through untouched."""
    text = text.replace("\\\\", " ")
    text = _ACCENT_SYMBOL.sub(
        lambda m: _combine(m.group(2) or m.group(3), _ACCENTS[m.group(1)]), text
    )
    text = _ACCENT_LETTER.sub(
        lambda m: _combine(m.group(2) or m.group(3), _ACCENTS[m.group(1)]), text
    )
    text = _LETTER_CMD.sub(lambda m: _LETTERS[m.group(1)], text)
    text = _CITE.sub(lambda m: f"[{m.group(1).strip()}]", text)
    text = _DROP_WITH_ARG.sub("", text)
    text = _SUPERSCRIPT_CMD.sub(lambda m: _script(m.group(1), _SUP, _SUP_CHARS, "^"), text)
    text = _SUBSCRIPT_CMD.sub(lambda m: _script(m.group(1), _SUB, _SUB_CHARS, "_"), text)
    text = _EMPTY_ARG.sub(r"\1", text)  # \algo{} -> \algo (a macro only the paper defines)
    for _ in range(20):  # nested: \textit{\textbf{x}}, {\it \textbf{x}}
        new = _UNWRAP_CMD.sub(r"\1", text)
        new = _DECLARED_GROUP.sub(r"\2", new)
        new = _FOOTNOTE.sub(lambda m: f" ({m.group(1).strip()})", new)
        if new == text:
            break
        text = new
    text = _BARE_DECLARATION.sub("", text)
    text = _SYMBOL_CMD.sub(
        lambda m: _TEXT_SYMBOLS.get(m.group(1), m.group(0)),
        text,
    )
    text = re.sub(r"\\([,;: !/@-])", lambda m: _SPACES[m.group(1)], text)
    text = _repeat(_GROUP, r"\1", text)  # grouping braces: {Knowing--Using Gap}
    text = text.replace("---", "—").replace("--", "–")
    text = text.replace("``", "“").replace("''", "”")
    text = re.sub(r"(?<![\w`])`([^`'\n]{1,80})'(?!\w)", r"‘\1’", text)
    text = "".join(_tilde(text, i) if ch == "~" else ch for i, ch in enumerate(text))
    return re.sub(r"[ \t]{2,}", " ", text)


# Text without any of these has no markup to convert (most titles): returned as it is.
_MARKUP = re.compile(r"[\\$~`{}]|--|''")


def latex_parts(text: str | None) -> list[Part]:
    """`text` with its text markup converted, as text and math parts in reading order."""
    if not text:
        return []
    if _MARKUP.search(text) is None:
        return [Part(text)]
    return list(_converted(text))


@functools.lru_cache(maxsize=4096)
def _converted(text: str) -> tuple[Part, ...]:
    """The parts of one text; cached, as pages show the same papers again and again."""
    slots = _Slots()

    def href(m: re.Match[str]) -> str:
        url, label = m.group(1).strip(), m.group(2).strip()
        if not label or label == url:
            return slots.put(url)
        return f"{label} ({slots.put(url)})"

    work = _MATH.sub(lambda m: slots.put(m.group(0), math=True), text)
    work = re.sub(r"\\href\s*\{([^{}]*)\}\s*\{([^{}]*)\}", href, work)
    # \url{…}, and \href{…} given without its text, as some abstracts have it
    work = re.sub(r"\\(?:url|href)\s*\{([^{}]*)\}", lambda m: slots.put(m.group(1).strip()), work)
    work = _URL.sub(lambda m: slots.put(m.group(0)), work)
    # Escaped characters are text from here on: `\{` is no group, `\%` no comment.
    work = re.sub(r"\\([%&_#{}$])", lambda m: slots.put(_ESCAPED[m.group(1)]), work)
    work = _convert_text(work)
    parts: list[Part] = []
    position = 0
    for match in _SLOT.finditer(work):
        if match.start() > position:
            parts.append(Part(work[position : match.start()]))
        parts.append(slots.get(match))
        position = match.end()
    if position < len(work):
        parts.append(Part(work[position:]))
    merged: list[Part] = []
    for part in parts:  # neighbouring text parts as one
        if merged and not part.math and not merged[-1].math:
            merged[-1] = Part(merged[-1].text + part.text)
        else:
            merged.append(part)
    return tuple(merged)


def latex_to_text(text: str | None, *, math: MathMode = "plain") -> str:
    """`text` with LaTeX text markup turned into text. Math is kept as written with
    `math="keep"` (pages, where KaTeX renders it), or simplified to Unicode (mails, feeds)."""
    if not text or _MARKUP.search(text) is None:
        return text or ""
    return _as_text(text, math)


@functools.lru_cache(maxsize=4096)
def _as_text(text: str, math: MathMode) -> str:
    return "".join(
        (p.text if math == "keep" else simplify_math(p.text)) if p.math else p.text
        for p in latex_parts(text)
    )


# Math -> readable text ----------------------------------------------------------------------------

_GREEK = {
    "alpha": "α",
    "beta": "β",
    "gamma": "γ",
    "delta": "δ",
    "epsilon": "ϵ",
    "varepsilon": "ε",
    "zeta": "ζ",
    "eta": "η",
    "theta": "θ",
    "vartheta": "ϑ",
    "iota": "ι",
    "kappa": "κ",
    "lambda": "λ",
    "mu": "μ",
    "nu": "ν",
    "xi": "ξ",
    "pi": "π",
    "varpi": "ϖ",
    "rho": "ρ",
    "varrho": "ϱ",
    "sigma": "σ",
    "varsigma": "ς",
    "tau": "τ",
    "upsilon": "υ",
    "phi": "ϕ",
    "varphi": "φ",
    "chi": "χ",
    "psi": "ψ",
    "omega": "ω",
    "Gamma": "Γ",
    "Delta": "Δ",
    "Theta": "Θ",
    "Lambda": "Λ",
    "Xi": "Ξ",
    "Pi": "Π",
    "Sigma": "Σ",
    "Upsilon": "Υ",
    "Phi": "Φ",
    "Psi": "Ψ",
    "Omega": "Ω",
}
_MATH_SYMBOLS = {
    **_GREEK,
    "times": "×",
    "cdot": "·",
    "pm": "±",
    "mp": "∓",
    "div": "÷",
    "sim": "~",
    "approx": "≈",
    "simeq": "≃",
    "cong": "≅",
    "le": "≤",
    "leq": "≤",
    "leqslant": "≤",
    "ge": "≥",
    "geq": "≥",
    "geqslant": "≥",
    "ll": "≪",
    "gg": "≫",
    "ne": "≠",
    "neq": "≠",
    "equiv": "≡",
    "propto": "∝",
    "lesssim": "≲",
    "gtrsim": "≳",
    "to": "→",
    "rightarrow": "→",
    "leftarrow": "←",
    "Rightarrow": "⇒",
    "Leftarrow": "⇐",
    "leftrightarrow": "↔",
    "Leftrightarrow": "⇔",
    "mapsto": "↦",
    "uparrow": "↑",
    "downarrow": "↓",
    "infty": "∞",
    "partial": "∂",
    "nabla": "∇",
    "sum": "∑",
    "prod": "∏",
    "int": "∫",
    "oint": "∮",
    "in": "∈",
    "notin": "∉",
    "ni": "∋",
    "subset": "⊂",
    "subseteq": "⊆",
    "supset": "⊃",
    "supseteq": "⊇",
    "cup": "∪",
    "cap": "∩",
    "setminus": "∖",
    "emptyset": "∅",
    "varnothing": "∅",
    "forall": "∀",
    "exists": "∃",
    "neg": "¬",
    "land": "∧",
    "wedge": "∧",
    "lor": "∨",
    "vee": "∨",
    "ell": "ℓ",
    "hbar": "ℏ",
    "circ": "∘",
    "odot": "⊙",
    "otimes": "⊗",
    "oplus": "⊕",
    "star": "⋆",
    "ast": "*",
    "bullet": "•",
    "prime": "′",
    "dagger": "†",
    "degree": "°",
    "langle": "⟨",
    "rangle": "⟩",
    "lfloor": "⌊",
    "rfloor": "⌋",
    "lceil": "⌈",
    "rceil": "⌉",
    "ldots": "…",
    "cdots": "⋯",
    "dots": "…",
    "mid": "|",
    "vert": "|",
    "Vert": "‖",
    "|": "‖",
    "top": "⊤",
    "perp": "⊥",
    "angle": "∠",
    "triangle": "△",
    "Box": "□",
    "checkmark": "✓",
}
_MATH_WORDS = (
    "log|ln|exp|min|max|sin|cos|tan|arg|lim|det|sup|inf|dim|ker|deg|gcd|Pr|argmin|argmax|softmax"
)
_MATH_SYMBOLS.update((word, word) for word in _MATH_WORDS.split("|"))
# Text inside math keeps its characters: `\\text{graph_ragu}` has an underscore, not a subscript.
_TEXT_IN_MATH = re.compile(
    r"\\(?:text|textrm|textbf|textit|texttt|textsf|textsc|emph|mbox|hbox|operatorname\*?)"
    r"\s*\{([^{}]*)\}"
)
_MATH_STYLE = re.compile(
    r"\\(?:mathrm|mathbf|mathit|mathsf|mathtt|mathcal|mathscr|mathfrak|mathbb|boldsymbol|bm|"
    r"underline|overline)\s*\{([^{}]*)\}"
)
_BARE_STYLE = re.compile(
    r"\\(?:rm|bf|it|sf|tt|cal|mathrm|mathbf|mathit|mathsf|mathtt|mathcal|mathscr|mathfrak|"
    r"mathbb|boldsymbol|bm|displaystyle|textstyle|scriptstyle)(?![A-Za-z])\s*"
)
_FRACTION = re.compile(r"\\[dt]?frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}")
_ROOT = re.compile(r"\\sqrt\s*\{([^{}]*)\}")
_OVERSET = re.compile(r"\\(?:overset|stackrel)\s*\{([^{}]*)\}\s*\{([^{}]*)\}")
_SUPER = re.compile(r"\^\s*\{([^{}]*)\}")
_SUBSCRIPT = re.compile(r"_\s*\{([^{}]*)\}")
_COMMAND_ARG = re.compile(r"(\\[A-Za-z]+)\{([^{}]*)\}")
_ANY_GROUP = re.compile(r"\{([^{}]*)\}")
# Private stand-ins inside math: literal braces, a literal underscore and caret, and the braces
# of an unknown command's argument (which stay as written).
_LBRACE, _RBRACE, _UNDERSCORE, _CARET, _ARG_OPEN, _ARG_CLOSE = (chr(0xE010 + i) for i in range(6))
_BLACKBOARD = str.maketrans("RNZQCEP", "ℝℕℤℚℂ𝔼ℙ")
_MATH_ACCENTS = {
    "tilde": "\u0303",
    "widetilde": "\u0303",
    "hat": "\u0302",
    "widehat": "\u0302",
    "bar": "\u0304",
    "overline": "\u0305",
    "vec": "\u20d7",
    "dot": "\u0307",
    "ddot": "\u0308",
}


def _strip_delimiters(tex: str) -> str:
    for left, right in (("$$", "$$"), ("\\[", "\\]"), ("\\(", "\\)"), ("$", "$")):
        if tex.startswith(left) and tex.endswith(right) and len(tex) >= len(left) + len(right):
            return tex[len(left) : len(tex) - len(right)]
    return tex


def _fraction(m: re.Match[str]) -> str:
    top, bottom = m.group(1).strip(), m.group(2).strip()

    def wrap(value: str) -> str:
        return value if re.fullmatch(r"[\w.′]+", value) else f"({value})"

    return f"{wrap(top)}/{wrap(bottom)}"


def _math_accent(m: re.Match[str]) -> str:
    body = m.group(2).strip()
    if len(body) == 1:
        return unicodedata.normalize("NFC", body + _MATH_ACCENTS[m.group(1)])
    return body


def simplify_math(tex: str) -> str:
    """A math span (with or without its delimiters) as readable text: `$\\alpha \\le 0.5$` ->
    `α ≤ 0.5`, `$x_i^2$` -> `xᵢ²`, `$\\frac{a}{b}$` -> `a/b`. Unknown commands stay as TeX."""
    body = _strip_delimiters(tex.strip())
    body = re.sub(r"\\(?:left|right|big|Big|bigg|Bigg)(?![A-Za-z])\s*", "", body)
    body = re.sub(r"\^\s*\{?\s*\\circ\s*\}?", "°", body)
    literal = {"{": _LBRACE, "}": _RBRACE, "_": _UNDERSCORE, "%": "%", "&": "&", "#": "#", "$": "$"}
    body = re.sub(r"\\([{}_%&#$])", lambda m: literal[m.group(1)], body)
    body = _repeat(
        _TEXT_IN_MATH,
        lambda m: "{" + m.group(1).replace("_", _UNDERSCORE).replace("^", _CARET) + "}",
        body,
    )
    body = re.sub(
        r"\\mathbb\s*\{?\s*([A-Z])\s*\}?", lambda m: m.group(1).translate(_BLACKBOARD), body
    )
    body = re.sub(r"\\[,;:>]|\\ |~|\\quad|\\qquad", " ", body)
    body = re.sub(r"\\!", "", body)
    body = re.sub(
        r"\\([A-Za-z]+|\|)(?![A-Za-z])",
        lambda m: _MATH_SYMBOLS.get(m.group(1), m.group(0)),
        body,
    )
    body = re.sub(r"\\sqrt\s+([^\s{}\\])", r"√\1", body)
    accents = "|".join(_MATH_ACCENTS)
    accent = re.compile(rf"\\({accents})\s*\{{([^{{}}]*)\}}")
    for _ in range(20):  # innermost groups first: \frac{t}{\sqrt{n}}, \mathrm{Mpc^{-1}}
        new = _MATH_STYLE.sub(r"{\1}", body)
        new = _repeat(re.compile(r"\{\s*\{([^{}]*)\}\s*\}"), r"{\1}", new)
        new = _FRACTION.sub(_fraction, new)
        new = _ROOT.sub(
            lambda m: "√" + (m.group(1) if len(m.group(1)) <= 1 else f"({m.group(1)})"), new
        )
        new = accent.sub(_math_accent, new)
        new = _OVERSET.sub(
            lambda m: (
                unicodedata.normalize("NFC", m.group(2) + "\u030a")
                if m.group(1).strip() == "∘" and len(m.group(2).strip()) == 1
                else m.group(2)
            ),
            new,
        )
        new = _SUPER.sub(lambda m: _script(m.group(1), _SUP, _SUP_CHARS, _CARET), new)
        new = _SUBSCRIPT.sub(lambda m: _script(m.group(1), _SUB, _SUB_CHARS, _UNDERSCORE), new)
        if new == body:
            break
        body = new
    body = _BARE_STYLE.sub("", body)
    # Arguments without braces: \hat x, \bar\nu (by now \barν), \frac12, \frac\beta4.
    body = re.sub(
        rf"\\({accents})(?:\s+([A-Za-z0-9])|\s*([^\x00-\x7f\s]))",
        lambda m: unicodedata.normalize(
            "NFC", (m.group(2) or m.group(3)) + _MATH_ACCENTS[m.group(1)]
        ),
        body,
    )
    body = re.sub(r"\\[dt]?frac\s*([^\s{}\\])\s*([^\s{}\\])", r"\1/\2", body)
    body = re.sub(
        r"\^\s*([^\s{}\\])", lambda m: _script(m.group(1), _SUP, _SUP_CHARS, _CARET), body
    )
    body = re.sub(
        r"_\s*([^\s{}\\])", lambda m: _script(m.group(1), _SUB, _SUB_CHARS, _UNDERSCORE), body
    )
    body = _repeat(_COMMAND_ARG, lambda m: f"{m.group(1)}{_ARG_OPEN}{m.group(2)}{_ARG_CLOSE}", body)
    body = _repeat(_ANY_GROUP, r"\1", body)
    for private, char in (
        (_LBRACE, "{"),
        (_RBRACE, "}"),
        (_UNDERSCORE, "_"),
        (_CARET, "^"),
        (_ARG_OPEN, "{"),
        (_ARG_CLOSE, "}"),
    ):
        body = body.replace(private, char)
    body = re.sub(r"(?<=\S)\s*([=<>≤≥≈≠→])\s*(?=\S)", r" \1 ", body)
    return " ".join(body.split())
