{#- A double-precision float type. dbt.type_float() renders `float`, which is
    single precision (REAL) on DuckDB: ratios would lose digits. -#}
{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double')()) }}
{%- endmacro %}

{% macro default__type_double() -%}
    double
{%- endmacro %}
