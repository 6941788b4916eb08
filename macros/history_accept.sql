{#- history_accept(results): BottleNeck's on-run-end (project.yml), the
    mark of a month its run did not accept. monthly_indicators writes its
    month's row with accepted = true; a failed run rolls it back, but a
    failed run that keeps what it built (--no-rollback, flags.NO_ROLLBACK:
    this hook then runs in the run's commit) keeps it too. So when the run
    failed (a node errored or a test failed: a deviation gate, say) after
    monthly_indicators wrote the row, the hook marks the row rejected
    (accepted = false) and says so in one line: month_over_history
    (accepted_column) compares no later month with it, and the history
    guard does not count it. A successful run of the month writes the row
    again (accepted). A successful run that does not write it (kiln retry
    or test --accept-deviations after the rejection) marks it accepted when
    every deviation gate of monthly_indicators (its month_over_history
    tests) passed or warned in it, and says that it stays rejected
    otherwise. Returns the update to run, or "". -#}
{% macro history_accept(results) %}
{%- if not execute or flags.WHICH not in ['build', 'run', 'retry', 'test'] -%}{{ return('') }}{%- endif -%}
{%- set history = load_relation(ref('monthly_indicators')) -%}
{%- if history is none -%}{{ return('') }}{%- endif -%}
{%- set model_id = 'model.' ~ project_name ~ '.monthly_indicators' -%}
{%- set month = var('month') ~ '' -%}
{%- set where = " where month = cast('" ~ month ~ "-01' as date)" -%}
{%- set failed = [] -%}{%- set wrote = [] -%}{%- set passed = [] -%}
{%- for r in results -%}
{%- if r.status in ['error', 'fail'] -%}{%- set _ = failed.append(r.node.name) -%}{%- endif -%}
{%- if r.node.unique_id == model_id and r.status == 'success' -%}{%- set _ = wrote.append(r.node.unique_id) -%}{%- endif -%}
{%- if r.status in ['pass', 'warn', 'no-op'] -%}{%- set _ = passed.append(r.node.unique_id) -%}{%- endif -%}
{%- endfor -%}
{%- if failed -%}
{%- if flags.NO_ROLLBACK and wrote -%}
{{- log("--no-rollback keeps month " ~ month ~ "'s row of " ~ history ~ ", marked rejected (accepted = false) as the run failed ("
    ~ failed | join(', ') ~ "): no deviation gate compares a later month with it and the history guard does not count it; a successful run of "
    ~ month ~ " replaces it.", info=True) -}}
{{- return("update " ~ history ~ " set accepted = false" ~ where) -}}
{%- endif -%}
{{- return('') -}}
{%- endif -%}
{%- set columns = [] -%}
{%- for c in adapter.get_columns_in_relation(history) -%}{%- set _ = columns.append(c.name | lower) -%}{%- endfor -%}
{%- if 'accepted' not in columns or wrote -%}{{ return('') }}{%- endif -%}
{%- if run_query("select count(*) from " ~ history ~ where ~ " and accepted = false").columns[0].values()[0] | int == 0 -%}{{ return('') }}{%- endif -%}
{%- set missing = [] -%}{%- set gates = [] -%}
{%- for n in graph.nodes.values() -%}
{%- if n.resource_type == 'test' and n.attached_node == model_id and n.test_metadata and n.test_metadata.name == 'month_over_history' -%}
{%- set _ = gates.append(n.name) -%}
{%- if n.unique_id not in passed -%}{%- set _ = missing.append(n.name) -%}{%- endif -%}
{%- endif -%}
{%- endfor -%}
{%- if gates and not missing -%}
{{- log("month " ~ month ~ "'s row of " ~ history ~ ", rejected by an earlier run, is accepted: its deviation gates passed in this run (" ~ gates | join(', ') ~ ").", info=True) -}}
{{- return("update " ~ history ~ " set accepted = true" ~ where) -}}
{%- endif -%}
{{- log("month " ~ month ~ "'s row of " ~ history ~ " stays rejected (accepted = false): this run did not pass its deviation gates ("
    ~ missing | join(', ') ~ "). A build of " ~ month ~ " runs them and replaces the row.", info=True) -}}
{{- return('') -}}
{% endmacro %}
