{#- withdraw_month(month, reason=''): takes a wrongly filed month (YYYY-MM:
    a month var typed wrong, another month's exports) out of BottleNeck's
    history without losing it, so that the right months build normally:

        kiln run-operation withdraw_month --args '{month: 2021-01, reason: "November filed as January"}'

    Its row of history.monthly_indicators moves to history.withdrawn_months
    (the same columns, then withdrawn_at, the time of the withdrawal, UTC,
    and reason; created on the first withdrawal), so it counts no longer
    for the latest month (history_guard) nor as an earlier month of the
    month_over_history gates; and the observations its runs recorded
    (kiln_history.observations) are marked not accepted, so kiln's gates
    (input_freshness included) no longer take its files and values for an
    accepted month. Nothing is deleted: the row is kept in withdrawn_months
    and the observations stay, marked. The marts, the exports and the
    snapshot are left as they are: the next build rewrites the marts and
    the exports; the snapshot, a type 2 history, is never rewritten (the
    withdrawn month's versions stay, closed by the next month's changes).
    A month built again later is filed as usual (its row comes back to
    monthly_indicators; withdrawn_months keeps the withdrawn one).
    Errors: a compiler error when month is not YYYY-MM or not in the
    history (naming the months it holds). -#}
{% macro withdraw_month(month, reason='') %}
{%- set month = month ~ '' -%}
{%- if modules.re.match('^[0-9]{4}-(0[1-9]|1[0-2])$', month) is none -%}
{{ exceptions.raise_compiler_error("withdraw_month: month " ~ month ~ " is not a month (YYYY-MM). Pass --args '{month: YYYY-MM}'") }}
{%- endif -%}
{%- set history = load_relation(ref('monthly_indicators')) -%}
{%- if history is none -%}
{{ exceptions.raise_compiler_error("withdraw_month: there is no history of monthly indicators in this database, so no month " ~ month ~ " to withdraw. Nothing was changed") }}
{%- endif -%}
{%- set held = run_query("select cast(month as varchar) from " ~ history ~ " order by month").columns[0].values() | list -%}
{%- set months = [] -%}{%- for m in held -%}{%- set _ = months.append((m ~ '')[:7]) -%}{%- endfor -%}
{%- if month not in months -%}
{{ exceptions.raise_compiler_error("withdraw_month: month " ~ month ~ " is not in " ~ history ~ ", which holds " ~ (months | join(', ') if months else 'no month')
    ~ ". Nothing was changed: check the month") }}
{%- endif -%}
{%- set at = "cast(" ~ history_guard_literal(month ~ '-01') ~ " as date)" -%}
{%- set withdrawn = history.schema ~ ".withdrawn_months" -%}
{%- do run_query("create table if not exists " ~ withdrawn ~ " as select *, cast(null as timestamp) as withdrawn_at, cast(null as varchar) as reason from " ~ history ~ " where false") -%}
{%- do run_query("insert into " ~ withdrawn ~ " select *, cast(current_timestamp at time zone 'UTC' as timestamp), " ~ history_guard_literal(reason) ~ " from " ~ history ~ " where month = " ~ at) -%}
{%- do run_query("delete from " ~ history ~ " where month = " ~ at) -%}
{%- set m = (month[:4] | int) * 12 + (month[5:7] | int) - 1 -%}
{%- set have = run_query("select count(*) from information_schema.tables where table_schema = 'kiln_history' and table_name = 'observations'").columns[0].values()[0] | int -%}
{%- if have > 0 -%}
{%- do run_query("update kiln_history.observations set accepted = false where accepted and month = " ~ m) -%}
{%- endif -%}
{%- set rest = months | reject('equalto', month) | list -%}
{{ log("withdrew month " ~ month ~ ": its row of " ~ history ~ " is now in " ~ withdrawn ~ " (withdrawn_at, reason), and the observations of its runs are no longer accepted by the gates."
    ~ " The latest month of the history is " ~ (rest[-1] if rest else "none (the history is empty)")
    ~ ". The marts and the exports keep the last build's figures until the next build rewrites them; the snapshot keeps its versions (never rewritten)", info=True) }}
{% endmacro %}
