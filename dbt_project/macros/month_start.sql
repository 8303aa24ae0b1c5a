{#- The first day of the month of a date or timestamp, as a date: months are
    dates on the first day of the month (SPEC.md section 3). DuckDB's
    date_trunc returns a timestamp, hence the cast. -#}
{% macro month_start(expression) -%}
    cast({{ dbt.date_trunc('month', expression) }} as date)
{%- endmacro %}
