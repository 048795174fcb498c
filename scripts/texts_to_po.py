"""One-off: the texts/*.py dicts → texts/locales/{ru,en}/LC_MESSAGES/leadkeeper.po.

Values come from the merged catalogues as the code sees them (so a later dict's override
wins, as it did at run time); order and translator comments (`#.`) from the modules' source:
the comment lines right above a key, and the first sentence of each module's docstring
on its first entry.
`<stem>_one/_few/_many` families become gettext plural entries.

    PYTHONPATH=. python scripts/texts_to_po.py
"""

from __future__ import annotations

import ast
import io
import tokenize
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import write_po

ROOT = Path(__file__).resolve().parent.parent
TEXTS = ROOT / "texts"
SUFFIXES = ("_one", "_few", "_many")
# The rules as GNU gettext's own catalogues write them (Babel's CLDR-derived Russian rule
# is the same function, spelled differently).
PLURAL_FORMS = {
    "ru": (
        "nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && "
        "(n%100<10 || n%100>=20) ? 1 : 2);"
    ),
    "en": "nplurals=2; plural=(n != 1);",
}


def _comments(path: Path) -> dict[tuple[str, str], list[str]]:
    """(language, key) → the comment lines above the key, plus the module docstring on the
    module's first key of each language."""
    source = path.read_text(encoding="utf-8")
    lines: dict[int, str] = {}
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            lines[token.start[0]] = token.string.lstrip("#").strip()
    tree = ast.parse(source)
    doc = ast.get_docstring(tree)
    found: dict[tuple[str, str], list[str]] = {}

    def keys(node: ast.Dict, language: str) -> None:
        for key in node.keys:
            if not (isinstance(key, ast.Constant) and isinstance(key.value, str)):
                continue
            above, row = [], key.lineno - 1
            while row in lines and not source.splitlines()[row - 1].split("#")[0].strip():
                above.insert(0, lines[row])
                row -= 1
            if key.lineno in lines and source.splitlines()[key.lineno - 1].split("#")[0].strip():
                above.append(lines[key.lineno])
            if not any(lang == language for lang, _ in found) and doc:
                # The first sentence names the section; the rest speaks of the code.
                above = [" ".join(doc.split()).split(". ")[0].rstrip(".") + ".", *above]
            found.setdefault((language, key.value), above)

    for statement in tree.body:
        target = statement.targets[0] if isinstance(statement, ast.Assign) else None
        if isinstance(statement, ast.AnnAssign):
            target = statement.target
        value = getattr(statement, "value", None)
        if not isinstance(target, ast.Name) or not isinstance(value, ast.Dict):
            continue
        nested = [k.value for k in value.keys if isinstance(k, ast.Constant)]
        if nested and set(nested) <= {"ru", "en"}:
            for language, inner in zip(nested, value.values, strict=True):
                if isinstance(inner, ast.Dict):
                    keys(inner, language)
        else:
            keys(value, "en" if target.id.endswith("EN") else "ru")
    return found


def _catalog(
    language: str,
    namespaces: dict[str, dict[str, dict[str, str]]],
    comments: dict[tuple[str, str], list[str]],
) -> Catalog:
    catalog = Catalog(
        locale=language,
        domain="leadkeeper",
        project="Leadkeeper",
        version="0.1.0",
        copyright_holder="Leadkeeper",
        fuzzy=False,
        last_translator="Leadkeeper",
        language_team="Leadkeeper",
        header_comment=(
            f"# Leadkeeper's texts in {'Russian' if language == 'ru' else 'English'}: "
            "one entry per text key.\n"
            "# msgctxt is the key (a dashboard word's key has the `dashboard.` prefix),\n"
            "# msgid repeats it; the text is msgstr. Placeholders are {name}, Python's\n"
            "# str.format; the bots' texts are Telegram HTML, the dashboard's plain text.\n"
            "# The loader (texts/loader.py) compiles this file to .mo when it changes."
        ),
    )
    catalog.revision_date = catalog.creation_date
    catalog.mime_headers = [
        (name, PLURAL_FORMS[language] if name == "Plural-Forms" else value)
        for name, value in catalog.mime_headers
    ]
    for prefix, texts in namespaces.items():
        ru, words = texts["ru"], texts[language]
        for key in ru:
            stem = next((key[: -len(s)] for s in SUFFIXES if key.endswith(s)), None)
            family = stem is not None and all(f"{stem}{s}" in ru for s in SUFFIXES)
            if family and not key.endswith("_one"):
                continue
            context = f"{prefix}{stem if family else key}"
            note = comments.get((language, key)) or comments.get(("ru", key)) or []
            if family:
                forms = [words[f"{stem}{s}"] for s in SUFFIXES]
                if language == "en":
                    assert forms[1] == forms[2], stem
                    forms = [forms[0], forms[2]]
                catalog[context] = Message(
                    (context, context), tuple(forms), context=context, auto_comments=note
                )
            else:
                catalog[context] = Message(context, words[key], context=context, auto_comments=note)
    return catalog


def main() -> None:
    from texts import DASHBOARD_TEXTS, DEFAULTS

    comments: dict[tuple[str, str], list[str]] = {}
    for path in sorted(TEXTS.glob("*.py")):
        for found_key, note in _comments(path).items():
            comments.setdefault(found_key, note)
    namespaces = {"": DEFAULTS, "dashboard.": DASHBOARD_TEXTS}
    for language in ("ru", "en"):
        target = TEXTS / "locales" / language / "LC_MESSAGES" / "leadkeeper.po"
        target.parent.mkdir(parents=True, exist_ok=True)
        buffer = io.BytesIO()
        write_po(buffer, _catalog(language, namespaces, comments), include_lineno=False)
        # Babel always writes this header; its placeholder address means nothing here.
        text = buffer.getvalue().replace(b'"Report-Msgid-Bugs-To: EMAIL@ADDRESS\\n"\n', b"")
        target.write_bytes(text)
        print(target.relative_to(ROOT))


if __name__ == "__main__":
    main()
