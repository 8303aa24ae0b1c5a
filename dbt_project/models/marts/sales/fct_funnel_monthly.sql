{#- A region is listed from its first cohort month to the run month, with
    zeros in the months without leads or opportunities, as the demand history
    does. -#}
with

reps as (

    select * from {{ ref('stg_crm__reps') }}

),

leads as (

    select * from {{ ref('int_leads_responded') }}

),

opportunities as (

    select * from {{ ref('int_opportunities_reached_proposal') }}

),

calendar as (

    select * from {{ ref('int_months_enumerated') }}

),

lead_cohorts as (

    select
        leads.created_month as cohort_month,
        coalesce(reps.region, 'Unknown') as region,
        count(*) as leads_created,
        count(case when leads.is_qualified then 1 end) as leads_qualified

    from leads
    left join reps
        on leads.owner_rep_id = reps.rep_id
    group by 1, 2

),

opportunity_cohorts as (

    select
        opportunities.cohort_month,
        coalesce(reps.region, 'Unknown') as region,
        count(*) as opps_created,
        count(case when opportunities.has_reached_proposal then 1 end) as opps_reached_proposal,
        count(case when opportunities.is_won_by_as_of_date then 1 end) as opps_won

    from opportunities
    left join reps
        on opportunities.owner_rep_id = reps.rep_id
    group by 1, 2

),

cohorts as (

    select
        region,
        cohort_month
    from lead_cohorts

    union distinct

    select
        region,
        cohort_month
    from opportunity_cohorts

),

cohort_regions as (

    select
        region,
        min(cohort_month) as first_cohort_month

    from cohorts
    group by 1

),

region_months as (

    select
        cohort_regions.region,
        calendar.month as cohort_month

    from cohort_regions
    inner join calendar
        on cohort_regions.first_cohort_month <= calendar.month
    where calendar.month <= {{ as_of_month() }}

),

final as (

    select
        region_months.cohort_month,
        region_months.region,
        coalesce(lead_cohorts.leads_created, 0) as leads_created,
        coalesce(lead_cohorts.leads_qualified, 0) as leads_qualified,
        cast(lead_cohorts.leads_qualified as {{ type_double() }})
        / nullif(lead_cohorts.leads_created, 0) as lead_qualification_rate,
        coalesce(opportunity_cohorts.opps_created, 0) as opps_created,
        coalesce(opportunity_cohorts.opps_reached_proposal, 0) as opps_reached_proposal,
        cast(opportunity_cohorts.opps_reached_proposal as {{ type_double() }})
        / nullif(opportunity_cohorts.opps_created, 0) as proposal_rate,
        coalesce(opportunity_cohorts.opps_won, 0) as opps_won,
        cast(opportunity_cohorts.opps_won as {{ type_double() }})
        / nullif(opportunity_cohorts.opps_created, 0) as close_rate

    from region_months
    left join lead_cohorts
        on
            region_months.cohort_month = lead_cohorts.cohort_month
            and region_months.region = lead_cohorts.region
    left join opportunity_cohorts
        on
            region_months.cohort_month = opportunity_cohorts.cohort_month
            and region_months.region = opportunity_cohorts.region

)

select * from final
