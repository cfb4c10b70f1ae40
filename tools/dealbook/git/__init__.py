"""Git access, all of it: the Book at any revision (`store`), commit-to-commit reviews (`review`),
per-customer change logs (`history`, `changes`) and history reads (`tracked`).

May import: `text`, `records`, `checks`, `rules`, `reports`, `editing`. Not `interchange`
(its sibling), nor the renderers.
"""
