{#- No row of an actuals table lies after the run month: fails with each
    row whose `column_name` (a month, or a date) is later than the last day
    of the as-of month. -#}
{% test not_after_as_of_month(model, column_name) %}

with

late_rows as (

    select *
    from {{ model }}
    where {{ column_name }} > {{ as_of_date() }}

)

select * from late_rows

{% endtest %}
