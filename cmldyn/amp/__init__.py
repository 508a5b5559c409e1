"""AMPs (Applied ML Prototypes) as code: their ``.project-metadata.yaml`` read with every value's line
(parse.py), checked by a table of rules (rules.py), planned against a project as it is (plan.py) and
applied in order, idempotent by name (apply.py).

    from cmldyn.amp import read_metadata, lint, amp_plan, amp_apply
    for finding in lint(read_metadata("./my-amp")):
        print(finding.line, finding.path, finding.message)
    plan = amp_plan(api, "./my-amp", project="demo")
    amp_apply(api, plan, progress=print)

May import: errors, jsonvalue, storage, workflows.
"""

from .apply import ApplyResult, amp_apply
from .parse import FILE_NAME, AmpError, Metadata, read_metadata
from .plan import AmpPlan, Step, amp_plan
from .rules import RULES, Finding, Rule, lint

__all__ = ["AmpError", "AmpPlan", "ApplyResult", "FILE_NAME", "Finding", "Metadata", "RULES", "Rule", "Step",
           "amp_apply", "amp_plan", "lint", "read_metadata"]
