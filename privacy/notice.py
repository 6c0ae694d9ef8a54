"""The privacy notice: its default text and the small, safe way its text is laid out.

A lead writes plain text: paragraphs separated by a blank line, a line starting with "## " is a
heading, lines starting with "- " are a bulleted list. Nothing else is interpreted (no HTML, no
links markup), and the template escapes every character, so the text can never inject markup.
"""

from dataclasses import dataclass, field

from django.template.loader import get_template


def default_text() -> str:
    """The notice until a lead writes their own: what is held, why, who sees it, for how long."""
    return get_template("privacy/default_notice.txt").template.source.strip()


@dataclass
class Block:
    kind: str  # "heading", "paragraph" or "list"
    text: str = ""
    items: list = field(default_factory=list)


def blocks(text: str) -> list[Block]:
    """The notice's text as headings, paragraphs and bulleted lists."""
    result = []
    for chunk in text.replace("\r\n", "\n").split("\n\n"):
        lines = [line.strip() for line in chunk.split("\n") if line.strip()]
        paragraph = []
        for line in lines:
            if line.startswith("## "):
                _flush(result, paragraph)
                result.append(Block("heading", line[3:].strip()))
            elif line.startswith("- "):
                _flush(result, paragraph)
                if not result or result[-1].kind != "list":
                    result.append(Block("list"))
                result[-1].items.append(line[2:].strip())
            else:
                paragraph.append(line)
        _flush(result, paragraph)
        result.append(Block("break"))  # a blank line ends a list: the next one is a new list
    return [block for block in result if block.kind != "break"]


def _flush(result, paragraph):
    if paragraph:
        result.append(Block("paragraph", " ".join(paragraph)))
        paragraph.clear()
