{#- Custom schemas are used verbatim (`staging`, not `main_staging`): the
    warehouse layout of SPEC.md section 0 names them. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
