{#- Attainment bounds and rates as exact decimals (10 places): commission is
    then computed in exact decimal arithmetic on money amounts, and a rate
    such as 0.05 x 1.5, 0.07500000000000001 as a double, is 0.075. -#}
{%- set plan_number = 'decimal(18, 10)' -%}

with

source as (

    select * from {{ source('compensation', 'comp_plan_tiers') }}

),

final as (

    select
        cast(tier_number as integer) as tier_number,
        cast(tier_from as {{ plan_number }}) as tier_from,
        cast(tier_to as {{ plan_number }}) as tier_to,
        cast(rate as {{ plan_number }}) as rate,
        cast(effective_rate as {{ plan_number }}) as effective_rate,
        cast(base_rate as {{ plan_number }}) as base_rate

    from source

)

select * from final
