{#- Reps ranked by quota attainment within their team and across the company,
    for every month, quarter and year of fct_quota_attainment. -#}
with

quota_attainment as (

    select * from {{ ref('fct_quota_attainment') }}

),

reps as (

    select * from {{ ref('dim_reps') }}

),

rep_periods as (

    select
        quota_attainment.period_type,
        quota_attainment.period_start,
        quota_attainment.member_id as rep_id,
        reps.rep_name,
        reps.team,
        reps.region,
        quota_attainment.quota_amount,
        quota_attainment.bookings_amount,
        quota_attainment.attainment,
        quota_attainment.is_period_complete

    from quota_attainment
    left join reps
        on quota_attainment.member_id = reps.rep_id
    where quota_attainment.level = 'rep'

),

ranked_rep_periods as (

    -- Only reps with an attainment are ranked: where a null attainment
    -- would sort differs between databases.
    select
        period_type,
        period_start,
        rep_id,
        rank() over (
            partition by period_type, period_start
            order by attainment desc
        ) as company_rank,
        count(*) over (partition by period_type, period_start) as company_ranked_reps,
        case
            when team is not null
                then rank() over (
                    partition by period_type, period_start, team
                    order by attainment desc
                )
        end as team_rank,
        case
            when team is not null
                then count(*) over (partition by period_type, period_start, team)
        end as team_ranked_reps

    from rep_periods
    where attainment is not null

),

final as (

    select
        rep_periods.period_type,
        rep_periods.period_start,
        rep_periods.rep_id,
        rep_periods.rep_name,
        rep_periods.team,
        rep_periods.region,
        rep_periods.quota_amount,
        rep_periods.bookings_amount,
        rep_periods.attainment,
        ranked_rep_periods.team_rank,
        ranked_rep_periods.team_ranked_reps,
        ranked_rep_periods.company_rank,
        ranked_rep_periods.company_ranked_reps,
        rep_periods.is_period_complete

    from rep_periods
    left join ranked_rep_periods
        on
            rep_periods.period_type = ranked_rep_periods.period_type
            and rep_periods.period_start = ranked_rep_periods.period_start
            and rep_periods.rep_id = ranked_rep_periods.rep_id

)

select * from final
