{#- A fixed-length calendar rather than one derived from the data: the length
    is a constant (var calendar_months), so the SQL needs no query at compile
    time and stays portable; it ends at the run month. -#}
with

month_numbers as (

    {{ dbt.generate_series(var('calendar_months', 600)) }}

),

final as (

    select
        cast(
            {{ dbt.dateadd('month', '1 - generated_number', as_of_month()) }}
            as date
        ) as month,
        generated_number - 1 as months_before_as_of

    from month_numbers

)

select * from final
