{#- z_score(value, mean, stddev): how many standard deviations value is
    from mean, as used to flag premium wines. -#}
{% macro z_score(value, mean, stddev) -%}
({{ value }} - {{ mean }}) / {{ stddev }}
{%- endmacro %}
