{#- Configured weights and categories of open stages, read from dbt vars and
    validated once here so every model that weighs pipeline agrees. -#}

{% macro open_stage_defaults() -%}
    {#- SPEC.md section 2: the default probability of each open stage, in canonical order. -#}
    {{ return({
        'Prospecting': 0.10,
        'Qualification': 0.20,
        'Proposal': 0.50,
        'Negotiation': 0.75
    }) }}
{%- endmacro %}

{% macro stage_probabilities() -%}
    {#- The defaults of SPEC.md section 2 updated by the var `stage_probabilities`
        (a mapping of open stage to a fraction), so a run may override one stage
        and keep the others. -#}
    {%- set defaults = open_stage_defaults() -%}
    {%- set probabilities = dict(defaults) -%}
    {%- do probabilities.update(var('stage_probabilities', defaults)) -%}
    {%- for stage_name, probability in probabilities.items() -%}
        {%- if stage_name not in defaults
            or probability is not number or probability < 0 or probability > 1 -%}
            {{ exceptions.raise_compiler_error(
                "var stage_probabilities maps an open stage (" ~ defaults.keys() | join(', ')
                ~ ") to a fraction between 0 and 1, got " ~ stage_name ~ ": " ~ probability
            ) }}
        {%- endif -%}
    {%- endfor -%}
    {{ return(probabilities) }}
{%- endmacro %}

{% macro stage_forecast_categories() -%}
    {#- The forecast category of each open stage when the CRM record does not
        say (a past month end): the var `stage_forecast_categories` updates the
        defaults, as stage_probabilities does. -#}
    {%- set defaults = {
        'Prospecting': 'Pipeline',
        'Qualification': 'Pipeline',
        'Proposal': 'Best Case',
        'Negotiation': 'Commit'
    } -%}
    {%- set categories = dict(defaults) -%}
    {%- do categories.update(var('stage_forecast_categories', defaults)) -%}
    {%- for stage_name, category in categories.items() -%}
        {%- if stage_name not in defaults
            or category not in ['Pipeline', 'Best Case', 'Commit', 'Omitted'] -%}
            {{ exceptions.raise_compiler_error(
                "var stage_forecast_categories maps an open stage (" ~ defaults.keys() | join(', ')
                ~ ") to Pipeline, Best Case, Commit or Omitted, got "
                ~ stage_name ~ ": " ~ category
            ) }}
        {%- endif -%}
    {%- endfor -%}
    {{ return(categories) }}
{%- endmacro %}

{% macro stage_case(column, values) -%}
    {#- `case column when stage then value ... end` for a mapping of stage to a
        number or a text; a stage not in the mapping gives null. -#}
    case {{ column }}
    {%- for stage_name, value in values.items() %}
        when '{{ dbt.escape_single_quotes(stage_name) }}' then
        {%- if value is number %} {{ value }}
        {%- else %} '{{ dbt.escape_single_quotes(value) }}'
        {%- endif %}
    {%- endfor %}
    end
{%- endmacro %}
