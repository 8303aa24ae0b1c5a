{#- The current stage of an opportunity is what it was at the as-of date only
    when nothing happened to it since: a closed deal closed by the as-of date,
    or an open deal without a stage change after it. Otherwise only the
    history rows entered by the as-of date say how far it had come. -#}
with

opportunities as (

    select * from {{ ref('stg_crm__opportunities') }}

),

opportunity_history as (

    select * from {{ ref('stg_crm__opportunity_history') }}

),

history_reaching_proposal as (

    select distinct opportunity_id

    from opportunity_history
    where
        stage in ('Proposal', 'Negotiation', 'Closed Won')
        and cast(entered_at as date) <= {{ as_of_date() }}

),

history_changed_after_as_of as (

    select distinct opportunity_id

    from opportunity_history
    where cast(entered_at as date) > {{ as_of_date() }}

),

opportunities_as_of as (

    select
        opportunities.opportunity_id,
        opportunities.owner_rep_id,
        opportunities.stage,
        {{ month_start('opportunities.created_date') }} as cohort_month,
        opportunities.is_won and opportunities.close_date <= {{ as_of_date() }}
            as is_won_by_as_of_date,
        history_reaching_proposal.opportunity_id is not null as has_proposal_history,
        case
            when opportunities.is_closed or opportunities.is_won
                then opportunities.close_date <= {{ as_of_date() }}
            else history_changed_after_as_of.opportunity_id is null
        end as is_current_stage_as_of

    from opportunities
    left join history_reaching_proposal
        on opportunities.opportunity_id = history_reaching_proposal.opportunity_id
    left join history_changed_after_as_of
        on opportunities.opportunity_id = history_changed_after_as_of.opportunity_id
    where opportunities.created_date <= {{ as_of_date() }}

),

final as (

    select
        opportunity_id,
        owner_rep_id,
        cohort_month,
        coalesce(
            has_proposal_history
            or (
                is_current_stage_as_of
                and stage in ('Proposal', 'Negotiation', 'Closed Won')
            ),
            false
        ) as has_reached_proposal,
        coalesce(is_won_by_as_of_date, false) as is_won_by_as_of_date

    from opportunities_as_of

)

select * from final
