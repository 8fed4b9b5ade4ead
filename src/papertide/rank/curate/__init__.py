"""Suggested papers: a community-interest model that proposes each day's papers and says why.

Steps, one module each: `records` (the two inputs: a day's listed papers and the community's
picks), `protocol` (candidate days, gains and the P@15 / nDCG@15 / R@50 evaluation), `history`
(what was picked and published before a day), `features`, `model` (fit, score, save, load),
`reasons` (why a paper is suggested, in words) and `evaluate` (the issue-12 protocol end to end).
"""
