{#- A composite key appears once: fails with each combination of
    `combination_of_columns` found on more than one row (dbt_utils'
    test of the same name, which this project cannot install offline). -#}
{% test unique_combination_of_columns(model, combination_of_columns) %}

with

duplicates as (

    select
        {{ combination_of_columns | join(',\n        ') }},
        count(*) as row_count

    from {{ model }}
    group by {{ combination_of_columns | join(', ') }}
    having count(*) > 1

)

select * from duplicates

{% endtest %}
