"""Expected trajectories and the not-on-track rule (shared/clinical/TRAJECTORIES.md).

* :mod:`.model`: the Alliance default curve, a practice's fitted curve, and what the rule gives;
* :mod:`.rules`: the not-on-track rule and the reliable-change threshold it uses;
* :mod:`.fitting`: fitting a practice's own curve (numpy and statsmodels, imported only there).

Import from the module that holds a name; this package re-exports nothing.
"""
