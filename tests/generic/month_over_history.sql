{#- month_over_history(model, column_name, month, max_change_pct, months=12):
    the deviation gate of a history of monthly rows (a model with a `month`
    date column, one row per month). It compares the value of column_name
    in month (YYYY-MM) with the median of the same column over the months
    before it (the last `months` of them) and with the latest month before
    it, and returns a row, a failure, when the value differs from both by
    more than max_change_pct percent of them, either way: as kiln's anomaly
    gates, a slow drift of a few percent a month never fails, and after a
    change of level accepted once (--accept-deviations, the test being
    configured deviation_gate: true) the next months follow the new level.
    Without an earlier month (the first month of a history) it passes. The
    failing row gives the value, the median, the number of months, the
    change in percent, and the latest month, its value and the change from
    it. The median is percentile_cont(0.5), the same on DuckDB and
    PostgreSQL. With accepted_column (a boolean column of the model), the
    earlier months are those whose row is accepted (true, or NULL: a row
    written before the column existed); a rejected month (false: a month
    whose gates failed, kept by --no-rollback) is never a reference. -#}
{% test month_over_history(model, column_name, month, max_change_pct, months=12, accepted_column=none) %}
with this_month as (
    select {{ column_name }} as value
    from {{ model }}
    where month = cast('{{ month }}-01' as date)
),
earlier as (
    select month, {{ column_name }} as value
    from {{ model }}
    where month < cast('{{ month }}-01' as date)
    {%- if accepted_column %}
      and coalesce({{ accepted_column }}, true)
    {%- endif %}
    order by month desc
    limit {{ months }}
),
baseline as (
    select
        percentile_cont(0.5) within group (order by cast(value as double precision)) as median,
        count(*) as months
    from earlier
),
previous as (
    select month, value
    from earlier
    where month = (select max(month) from earlier)
)
select
    '{{ month }}' as month,
    t.value,
    b.median as median_of_earlier_months,
    b.months as earlier_months,
    round(cast(100 * (t.value - b.median) / nullif(b.median, 0) as decimal(18, 6)), 1) as change_pct,
    p.month as previous_month,
    p.value as previous_value,
    round(cast(100 * (t.value - p.value) / nullif(p.value, 0) as decimal(18, 6)), 1) as change_from_previous_pct
from this_month as t
cross join baseline as b
cross join previous as p
where b.months > 0
  and abs(t.value - b.median) > {{ max_change_pct }} / 100.0 * abs(b.median)
  and abs(t.value - p.value) > {{ max_change_pct }} / 100.0 * abs(p.value)
{% endtest %}
