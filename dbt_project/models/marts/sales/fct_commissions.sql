{#- Commission per rep and month (SPEC.md section 3) under the plan of
    planning/comp_plan.yml, the SQL twin of models/compensation/comp_plan.py's
    `commission`: bookings are paid slice by slice of attainment at each
    slice's effective rate; without a positive quota, at the base rate. -#}
with

quota_attainment as (

    select * from {{ ref('fct_quota_attainment') }}

),

comp_plan_tiers as (

    select * from {{ ref('stg_compensation__comp_plan_tiers') }}

),

rep_months as (

    select
        member_id as rep_id,
        period_start as month,
        quota_amount,
        bookings_amount,
        attainment

    from quota_attainment
    where
        level = 'rep'
        and period_type = 'month'

),

comp_plans as (

    -- One row per plan: a table holding two base rates would duplicate
    -- rep-months and fail the key test; no plan rows, no commission rows.
    select distinct base_rate
    from comp_plan_tiers

),

tiered_commissions as (

    select
        rep_months.rep_id,
        rep_months.month,
        sum(
            greatest(
                case
                    when comp_plan_tiers.tier_to is null then rep_months.bookings_amount
                    else least(
                        rep_months.bookings_amount,
                        rep_months.quota_amount * comp_plan_tiers.tier_to
                    )
                end
                - rep_months.quota_amount * comp_plan_tiers.tier_from,
                0
            )
            * comp_plan_tiers.effective_rate
        ) as commission_amount

    from rep_months
    cross join comp_plan_tiers
    where rep_months.quota_amount > 0
    group by 1, 2

),

final as (

    select
        rep_months.rep_id,
        rep_months.month,
        rep_months.quota_amount,
        rep_months.bookings_amount,
        rep_months.attainment,
        cast(
            case
                when rep_months.quota_amount > 0 then tiered_commissions.commission_amount
                else comp_plans.base_rate * greatest(rep_months.bookings_amount, 0)
            end
            as {{ type_double() }}
        ) as commission_amount

    from rep_months
    cross join comp_plans
    left join tiered_commissions
        on
            rep_months.rep_id = tiered_commissions.rep_id
            and rep_months.month = tiered_commissions.month

)

select * from final
