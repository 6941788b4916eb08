{#- Anomaly tests (issue 19). The query computes this month's figure; kiln
    compares it with the accepted months of the run history (package
    anomaly: a robust score, a seasonal reference, change floors) and
    explains the result. The options are read by kiln, not by the SQL:
      anomaly_sensitivity, anomaly_direction (both, spike, drop),
      min_change_pct, min_change, min_training_set_size, training_months,
      seasonality (auto, none, month_of_year), period (the month of the
      data, YYYY-MM; the run's month by default), baseline_key. -#}

{% test volume_anomalies(model, anomaly_sensitivity=None, anomaly_direction=None, min_change_pct=None, min_change=None, min_training_set_size=None, training_months=None, seasonality=None, period=None, baseline_key=None) %}
select count(*) as value
from {{ model }}
{% endtest %}

{% test metric_anomalies(model, expression, anomaly_sensitivity=None, anomaly_direction=None, min_change_pct=None, min_change=None, min_training_set_size=None, training_months=None, seasonality=None, period=None, baseline_key=None) %}
select {{ expression }} as value
from {{ model }}
{% endtest %}

{#- One row per segment: the dimensions' values (as text), then the figure. -#}
{% test dimension_anomalies(model, dimensions, expression='count(*)', anomaly_sensitivity=None, anomaly_direction=None, min_change_pct=None, min_change=None, min_training_set_size=None, training_months=None, seasonality=None, period=None, baseline_key=None) %}
{%- set dims = [dimensions] if dimensions is string else dimensions -%}
select {% for d in dims %}cast({{ d }} as varchar) as dimension_{{ loop.index }}, {% endfor %}{{ expression }} as value
from {{ model }}
group by {% for d in dims %}{{ loop.index }}{% if not loop.last %}, {% endif %}{% endfor %}
{% endtest %}

{#- One row, a column per metric, in percent of the rows (null when there is no row). -#}
{% test column_anomalies(model, column_name, column_anomalies=['null_percent'], anomaly_sensitivity=None, anomaly_direction=None, min_change_pct=None, min_change=None, min_training_set_size=None, training_months=None, seasonality=None, period=None, baseline_key=None) %}
{%- set metrics = [column_anomalies] if column_anomalies is string else column_anomalies -%}
select
{%- for m in metrics %}
    avg(case when {% if m == 'zero_percent' %}{{ column_name }} = 0{% else %}{{ column_name }} is null{% endif %} then 100.0 else 0 end) as {{ m }}{% if not loop.last %},{% endif %}
{%- endfor %}
from {{ model }}
{% endtest %}

{#- The relation's columns, from the catalog (the query is described, not run). -#}
{% test schema_changes(model, period=None, baseline_key=None) %}
select *
from {{ model }}
{% endtest %}

{#- The source's input file, from its cells (a workbook) or bytes and its modification time (the query is not run).
    repeat_note says why a repeated file passes under may_repeat; repeat_hint, the way to accept a repeated file
    that fails (an export that really did not change): kiln adds them to the test's explanation. -#}
{% test input_freshness(model, max_age_days=None, training_months=None, period=None, baseline_key=None, may_repeat=None, repeat_note=None, repeat_hint=None) %}
select *
from {{ model }}
{% endtest %}
