"""Chinese words for the search index cut once per build, not once per page.

Material's search plugin cuts every run of Han characters of every page into words with jieba
(`jieba.cut`), so that the browser's search finds words inside a sentence. A customer page is mostly
the same labels (联系人, 决策链, 需求描述, stage and role names) around a few words of its own, and
cutting them again on each of 10,000 pages was a twentieth of a build. During a build the plugin's
`jieba` is this wrapper: the words of a run it has cut before are given again (jieba cuts a run the
same way each time with the same dictionary, which the search plugin loads before the build starts;
the cache lives one build). The index is the same byte for byte.
"""

from __future__ import annotations

import contextlib
from typing import Any


class RememberedCuts:
    """`jieba` with `cut(text)` remembered; everything else is jieba's own."""

    def __init__(self, jieba: Any) -> None:
        self._jieba = jieba
        self._cuts: dict[Any, tuple[str, ...]] = {}

    def cut(self, sentence: Any, *args: Any, **kwargs: Any) -> Any:
        if args or kwargs:
            return self._jieba.cut(sentence, *args, **kwargs)
        found = self._cuts.get(sentence)
        if found is None:
            found = self._cuts[sentence] = tuple(self._jieba.cut(sentence))
        return found

    def __getattr__(self, name: str) -> Any:
        return getattr(self._jieba, name)


def _search_module() -> Any:
    with contextlib.suppress(ImportError):
        from material.plugins.search import plugin as module

        return module
    return None


def remember_cuts() -> None:
    """From now until `forget_cuts()`, Material's search plugin cuts each run of words once."""
    module = _search_module()
    jieba = getattr(module, "jieba", None)
    if jieba is not None and not isinstance(jieba, RememberedCuts) and callable(getattr(jieba, "cut", None)):
        module.jieba = RememberedCuts(jieba)


def forget_cuts() -> None:
    module = _search_module()
    jieba = getattr(module, "jieba", None)
    if isinstance(jieba, RememberedCuts):
        module.jieba = jieba._jieba
