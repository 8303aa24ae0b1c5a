{#- Stage probabilities: see the macro stage_probabilities (var `stage_probabilities`). -#}
with

month_end_states as (

    select * from {{ ref('int_opportunity_month_end_states') }}

),

open_states as (

    select
        month,
        rep_id,
        stage,
        amount,
        amount * {{ stage_case('stage', stage_probabilities()) }} as weighted_amount

    from month_end_states
    where is_open

),

final as (

    select
        month as snapshot_month,
        cast({{ dbt.last_day('month', 'month') }} as date) as snapshot_date,
        rep_id,
        stage,
        count(*) as open_count,
        sum(amount) as open_amount,
        sum(weighted_amount) as weighted_amount

    from open_states
    group by 1, 2, 3, 4

)

select * from final
