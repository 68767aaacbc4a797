# ismap message catalog: English.

## Rules: names used as headings when findings are grouped.
rule-INPUT = Input: entries that could not be read or are malformed
rule-S1 = S1: every governance and management control is implemented
rule-S2 = S2: every control objective is selected, or excluded with a reason
rule-S3 = S3: a detailed control left unselected needs its own reason
rule-S4 = S4: baseline requirements (.B / .PB) are implemented or inherited
rule-S5 = S5: a selected objective needs at least one selected detailed control
rule-S6 = S6: every selected control needs its individual control text
rule-S7 = S7: inherited controls come from a registered, valid underlying service, with the confirmation shown
rule-S8 = S8: a statement targets one catalog version; controls outside it are errors
rule-A1 = A1 (advice): a .P control left unselected
rule-A2 = A2 (advice): a reason shorter than a sentence
rule-A3 = A3 (advice): an objective resting on a single detailed control
rule-A4 = A4 (advice): a zero-trust design meets perimeter-worded controls

## Findings.
finding-undecided = No decision is recorded (undecided).
finding-governance-must-be-implemented = Governance and management detailed controls must be "implemented" by the provider itself (found: { $decision }).
finding-governance-objective-must-be-selected = Governance and management objectives cannot be excluded; mark it "selected".
finding-excluded-without-reason = The objective is excluded without a reason; say why it cannot reasonably apply to the service.
finding-decided-under-excluded-objective = Objective { $objective } is excluded, but this detailed control is "{ $decision }". Select the objective, or exclude this control with it.
finding-not-selected-without-reason = No reason is written for leaving this control unselected.
finding-excluded-while-objective-selected = "excluded" is only for controls of an excluded objective ({ $objective } is not excluded); use "not_selected" with a reason.
finding-baseline-not-implemented = Baseline requirements (.B / .PB) must be "implemented" or "inherited" (found: { $decision }) unless their objective is excluded.
finding-objective-without-selected-detail = No detailed control (implemented or inherited) achieves this selected objective.
finding-missing-individual-control = The individual control (individual_control) is missing; describe the provider's own concrete measure.
finding-inherited-without-from = The registration number of the service it is inherited from (from) is missing.
finding-malformed-registration-number = "{ $value }" is not a registration number (expected the form C21-0008-2).
finding-inherited-from-not-underlying = { $from } is not listed in service.underlying (the services this one runs on).
finding-inherited-without-confirmation = The statement does not say how the underlying provider's measure was confirmed (confirmation: third-party audit evidence).
finding-underlying-not-registered = Underlying service { $number } is not on the ISMAP cloud service list.
finding-underlying-not-valid-on-date = The registration of underlying service { $number } is not valid on the statement's date { $date } (valid { $from } to { $until }).
finding-registry-not-provided = No registry was given (--registry), so the registrations of inherited controls could not be checked.
finding-catalog-mismatch = The statement targets catalog "{ $statement }", but it was validated against "{ $catalog }".
finding-catalog-version-mismatch = The statement's catalog version "{ $statement }" does not match the catalog's version "{ $catalog }".
finding-unknown-catalog = Catalog "{ $statement }" is not known. Available catalogs: { $available }
finding-control-not-in-catalog = This control is not in this version of the catalog.
finding-suffix-mismatch = The catalog writes this control as { $catalog_id }; use the same identifier.
finding-cloud-control-not-selected = A cloud-specific control (.P) is left unselected; providers must consider these particularly.
finding-short-reason = The reason is too short ({ $characters } characters); explain in at least one sentence why it does not apply.
finding-single-detailed-control = This objective rests on a single detailed control; check that it brings the risk to an acceptable level.
finding-perimeter-wording = This control's wording assumes perimeter defence; say in the individual control how the zero-trust design meets it (manual §2.7.7).
finding-bad-control-id = "{ $key }" is not a control ID: { $detail }
finding-decision-not-for-level = "{ $decision }" does not apply to this control: objectives (3 numbers) take selected / excluded; detailed controls (4 numbers) take implemented / inherited / not_selected / excluded.
finding-unknown-decision = Unknown decision "{ $value }"; use selected, excluded, implemented, inherited or not_selected.
finding-unknown-service-model = Unknown service model "{ $value }"; use IaaS, PaaS or SaaS.
finding-bad-date = "{ $value }" is not a date; write YYYY-MM-DD.
finding-missing-field = A required field is missing.
finding-duplicate-control = The same control is listed twice (first as { $first }).
finding-unreadable = Could not be read: { $detail }

## Command-line output.
cli-excerpt-notice = Note: { $notice }
cli-summary = { $errors } error(s), { $warnings } warning(s)
cli-no-findings = No findings.
cli-error = error
cli-warning = warning
cli-general = (statement as a whole)
cli-line = line { $line }
cli-validating = Validated statement { $file } against catalog { $catalog } (version { $version })
cli-validity-from = Valid from
cli-validity-until = Valid until
cli-search-count = { $found } of { $total } controls match
