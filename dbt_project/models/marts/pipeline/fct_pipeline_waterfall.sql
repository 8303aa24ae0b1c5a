{#- The month's pipeline bridge per rep, from the opportunities' states at the
    previous month end and at the month end (int_opportunity_month_end_states):
    opening + created + reopened - won - lost + amount_changes = closing_amount.
    Each opportunity counts by its state at the two month ends; what happens
    in between (a deal reopened and closed again within the month) does not
    show. advanced_amount and slipped_amount are memo flows inside the open
    pipeline: they do not enter the bridge. -#}
with

month_end_states as (

    select * from {{ ref('int_opportunity_month_end_states') }}

),

current_states as (

    select
        month,
        opportunity_id,
        rep_id,
        is_created_in_month,
        stage,
        stage_order,
        is_open,
        close_date,
        coalesce(amount, 0) as amount

    from month_end_states

),

previous_open_states as (

    select
        cast({{ dbt.dateadd('month', 1, 'month') }} as date) as month,
        opportunity_id,
        rep_id,
        stage_order,
        close_date,
        coalesce(amount, 0) as amount

    from month_end_states
    where
        is_open
        and month < {{ as_of_month() }}

),

opportunity_flows as (

    select
        coalesce(current_states.month, previous_open_states.month) as month,
        coalesce(current_states.rep_id, previous_open_states.rep_id) as rep_id,
        coalesce(previous_open_states.amount, 0) as opening_amount,
        case
            when previous_open_states.opportunity_id is null and current_states.is_created_in_month
                then current_states.amount
            else 0
        end as created_amount,
        case
            when
                previous_open_states.opportunity_id is null
                and not current_states.is_created_in_month
                and current_states.is_open
                then current_states.amount
            else 0
        end as reopened_amount,
        case
            when
                (
                    previous_open_states.opportunity_id is not null
                    or current_states.is_created_in_month
                )
                and current_states.stage = 'Closed Won'
                then current_states.amount
            else 0
        end as won_amount,
        case
            when
                (
                    previous_open_states.opportunity_id is not null
                    or current_states.is_created_in_month
                )
                and current_states.stage = 'Closed Lost'
                then current_states.amount
            else 0
        end as lost_amount,
        coalesce(current_states.amount - previous_open_states.amount, 0) as amount_changes,
        case when current_states.is_open then current_states.amount else 0 end as closing_amount,
        case
            when
                current_states.is_open
                and current_states.stage_order > previous_open_states.stage_order
                then current_states.amount
            else 0
        end as advanced_amount,
        case
            when
                current_states.is_open
                and {{ month_start('previous_open_states.close_date') }} = current_states.month
                and {{ month_start('current_states.close_date') }} > current_states.month
                then current_states.amount
            else 0
        end as slipped_amount

    from current_states
    full outer join previous_open_states
        on
            current_states.opportunity_id = previous_open_states.opportunity_id
            and current_states.month = previous_open_states.month
    where
        previous_open_states.opportunity_id is not null
        or current_states.is_open
        or current_states.is_created_in_month

),

final as (

    select
        month,
        rep_id,
        sum(opening_amount) as opening_amount,
        sum(created_amount) as created_amount,
        sum(reopened_amount) as reopened_amount,
        sum(won_amount) as won_amount,
        sum(lost_amount) as lost_amount,
        sum(amount_changes) as amount_changes,
        sum(closing_amount) as closing_amount,
        sum(advanced_amount) as advanced_amount,
        sum(slipped_amount) as slipped_amount

    from opportunity_flows
    group by 1, 2

)

select * from final
