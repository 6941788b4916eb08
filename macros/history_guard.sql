{#- history_guard(): BottleNeck's on-run-start check (project.yml) that a
    run does not write the history of another stream of inputs, or an old
    month by mistake (README, "BottleNeck over months"). It returns no SQL;
    when it refuses, it raises, so no node runs and the database, the
    history, the snapshot and the exports stay as they were (exit code 1).
    Only build, run, snapshot and retry are checked: test, seed, show and
    compile write no month.

    - A run reading the bundled sample (raw_dir under data/sample/) is
      refused on a database where an earlier successful run wrote
      history.monthly_indicators or the snapshot from other inputs: the
      sample would replace the marts and exports, add a synthetic month to
      the history and close every real version of the snapshot, and every
      gate is off on the sample. The months and their raw_dir come from
      kiln's run history (kiln_history.runs: each run's --vars;
      kiln_history.node_results: what it built).
    - A month older than the latest month of history.monthly_indicators
      that the history does not hold (never built) is refused unless
      --vars gives backfill: true. A month run again stays allowed.
    Errors: a compiler error whose message names the database, the months
    and what to do. -#}
{% macro history_guard() %}
{%- if execute and flags.WHICH in ['build', 'run', 'snapshot', 'retry'] -%}
{%- set database = target.path if target.type == 'duckdb' else target.type ~ ' database ' ~ target.database ~ ' (target ' ~ target.name ~ ')' -%}
{%- set raw_dir = var('raw_dir') ~ '' -%}
{%- if raw_dir.startswith('data/sample/') -%}
{{- history_guard_sample(database, raw_dir) -}}
{%- endif -%}
{{- history_guard_old_month(database, var('month') ~ '') -}}
{%- endif -%}
{% endmacro %}

{#- history_guard_sample(database, raw_dir): raises when a successful run
    with a raw_dir outside data/sample/ wrote the history or the snapshot of
    this database; see history_guard. -#}
{% macro history_guard_sample(database, raw_dir) %}
{%- set have = run_query("select count(*) from information_schema.columns where table_schema = 'kiln_history' and ((table_name = 'runs' and column_name = 'vars') or (table_name = 'node_results' and column_name = 'unique_id'))") -%}
{%- if have.columns[0].values()[0] | int == 2 -%}
{%- set runs = run_query("select r.vars from kiln_history.runs as r where r.status = 'success' and r.vars is not null and r.vars <> ''"
    ~ " and exists (select 1 from kiln_history.node_results as n where n.run_id = r.run_id and n.status = 'success'"
    ~ " and n.unique_id in ('model." ~ project_name ~ ".monthly_indicators', 'snapshot." ~ project_name ~ ".erp_price_history'))"
    ~ " order by r.started_at, r.run_id") -%}
{%- set months = {} -%}
{%- for row in runs.rows -%}
{%- set v = fromjson(row[0]) -%}
{%- if 'raw_dir' in v and not (v['raw_dir'] ~ '').startswith('data/sample/') -%}
{%- set m = v['month'] ~ '' if 'month' in v else "the project's default month" -%}
{%- set _ = months.update({m: v['raw_dir'] ~ ''}) -%}
{%- endif -%}
{%- endfor -%}
{%- if months -%}
{%- set held = [] -%}
{%- for m in months | sort -%}
{%- set _ = held.append(m ~ ' from ' ~ months[m]) -%}
{%- endfor -%}
{{ exceptions.raise_compiler_error("this run reads the bundled sample (raw_dir " ~ raw_dir ~ ") but the database " ~ database
    ~ " holds months built from other inputs: " ~ held | join(', ')
    ~ ". Nothing was run: the sample would replace the marts and exports, add a synthetic month to history.monthly_indicators and close the snapshot's versions, with every gate off."
    ~ " Pass the month's inputs, --vars '{raw_dir: <folder of the month>, month: YYYY-MM}', or build the sample into another database (database-path, or a target of its own)") }}
{%- endif -%}
{%- endif -%}
{% endmacro %}

{#- history_guard_old_month(database, month): raises when month (YYYY-MM)
    is older than the latest month of history.monthly_indicators and is not
    in it, unless var backfill is true; see history_guard. -#}
{% macro history_guard_old_month(database, month) %}
{%- set history = load_relation(ref('monthly_indicators')) -%}
{%- if history is not none and not var('backfill', false) -%}
{%- set r = run_query("select cast(max(month) as varchar), count(case when month = cast('" ~ month ~ "-01' as date) then 1 end) from " ~ history) -%}
{%- set latest = r.columns[0].values()[0] -%}
{%- if latest is not none and (latest ~ '')[:7] > month and r.columns[1].values()[0] | int == 0 -%}
{{ exceptions.raise_compiler_error("month " ~ month ~ " was never built and is older than the latest month of " ~ history ~ " in " ~ database
    ~ ", " ~ (latest ~ '')[:7] ~ ". Nothing was run: check the month var (a wrong month would add another month's figures to the history, and the snapshot would record " ~ month
    ~ "'s prices as the current ones). To build a missed month after later ones, pass backfill: true in --vars") }}
{%- endif -%}
{%- endif -%}
{% endmacro %}
