"""The guide in the team's language.

A translated guide page lives beside the English one, in a folder named for its language:
`guide/zh/process.md` translates `guide/process.md`. On a site in that language the English
page is served with the translation's text at its own address and place in the sidebar (so
links between pages, and `settings.md#targets` anchors, work in every language), and its
"edit" link opens the translation. The language folders are never published as pages of
their own; a page with no translation is served in English.
"""

from __future__ import annotations

from mkdocs.structure.files import File, Files

from ..text.catalog import SOURCE_LANGUAGE, languages

GUIDE = "guide/"


def translation_folder(language: str) -> str:
    """`guide/zh/`: where the guide's pages in `language` live."""
    return f"{GUIDE}{language}/"


def translated_guide(files: Files, language: str) -> dict[str, str]:
    """Take every language folder of the guide out of `files`; point each English guide page
    that has a translation in `language` at it (its text and its edit link).
    Returns {English page: translation} for the pages served translated."""
    folders = [translation_folder(lang) for lang in languages() if lang != SOURCE_LANGUAGE]
    twins: dict[str, File] = {}
    for file in list(files):
        folder = next((f for f in folders if file.src_uri.startswith(f)), None)
        if folder is None:
            continue
        files.remove(file)
        if folder == translation_folder(language) and file.is_documentation_page():
            twins[GUIDE + file.src_uri[len(folder):]] = file
    served: dict[str, str] = {}
    for uri, twin in sorted(twins.items()):
        page = files.get_file_from_path(uri)
        if page is None or page.generated_by is not None or not page.is_documentation_page():
            continue
        page.abs_src_path = twin.abs_src_path  # MkDocs reads the page's Markdown from here
        page.edit_uri = twin.src_uri
        served[uri] = twin.src_uri
    return served
