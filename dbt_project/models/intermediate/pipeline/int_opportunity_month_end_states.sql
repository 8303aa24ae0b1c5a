{#- The state of each opportunity at month ends, the point-in-time base of the
    pipeline snapshot, waterfall and coverage. Each state (a history row, or
    the opportunity's first known state back-filled to its created_date) holds
    from the month end on or after it was entered up to the month end before
    the next state was entered. An open state is listed at every month end it
    holds; a closed state only at the first, the month end that closed the
    deal: a closed deal stays out of the pipeline without a row per month.
    An opportunity whose history starts after its created_date is in its
    first history state from its created_date. One with no history up to the
    as-of date is open from its created_date in its current record's stage,
    or in Prospecting when that record is closed now: today's closed stage
    must not leak into a past month. A deal whose record is closed on or
    before the as-of date but whose history up to that date has no closed row
    closes on its close_date (or its last history date, if later). -#}
with

history as (

    select * from {{ ref('int_opportunity_history_sequenced') }}

),

opportunities as (

    select * from {{ ref('stg_crm__opportunities') }}

),

months as (

    select * from {{ ref('int_months_enumerated') }}

),

first_entries as (

    select
        opportunity_id,
        stage,
        amount,
        close_date,
        entered_at

    from history
    where stage_entry_seq = 1

),

history_summaries as (

    select
        opportunity_id,
        count(*) as history_rows,
        max(cast(entered_at as date)) as last_entered_on,
        max(case when is_closed_stage then 1 else 0 end) as has_closed_row

    from history
    group by 1

),

record_closings as (

    select
        opportunities.opportunity_id,
        coalesce(history_summaries.history_rows, 0) + 1 as stage_entry_seq,
        case
            when opportunities.stage in ('Closed Won', 'Closed Lost') then opportunities.stage
            when opportunities.is_won then 'Closed Won'
            else 'Closed Lost'
        end as stage,
        opportunities.amount,
        opportunities.close_date,
        case
            when history_summaries.last_entered_on > opportunities.close_date
                then history_summaries.last_entered_on
            else opportunities.close_date
        end as valid_from,
        cast(null as date) as superseded_on

    from opportunities
    left join history_summaries
        on opportunities.opportunity_id = history_summaries.opportunity_id
    where
        opportunities.is_closed
        and opportunities.close_date <= {{ as_of_date() }}
        and coalesce(history_summaries.has_closed_row, 0) = 0

),

recorded_states as (

    select
        history.opportunity_id,
        history.stage_entry_seq,
        history.stage,
        history.amount,
        history.close_date,
        cast(history.entered_at as date) as valid_from,
        coalesce(cast(history.next_entered_at as date), record_closings.valid_from)
            as superseded_on

    from history
    left join record_closings
        on history.opportunity_id = record_closings.opportunity_id

),

creation_states as (

    select
        opportunities.opportunity_id,
        0 as stage_entry_seq,
        case
            when first_entries.stage is not null then first_entries.stage
            when opportunities.stage in ('Closed Won', 'Closed Lost') then 'Prospecting'
            else opportunities.stage
        end as stage,
        coalesce(first_entries.amount, opportunities.amount) as amount,
        coalesce(first_entries.close_date, opportunities.close_date) as close_date,
        opportunities.created_date as valid_from,
        coalesce(cast(first_entries.entered_at as date), record_closings.valid_from)
            as superseded_on

    from opportunities
    left join first_entries
        on opportunities.opportunity_id = first_entries.opportunity_id
    left join record_closings
        on opportunities.opportunity_id = record_closings.opportunity_id
    where
        opportunities.created_date <= {{ as_of_date() }}
        and (
            first_entries.opportunity_id is null
            or cast(first_entries.entered_at as date) > opportunities.created_date
        )

),

states as (

    select * from recorded_states

    union all

    select * from creation_states

    union all

    select * from record_closings

),

state_months as (

    select
        opportunity_id,
        stage_entry_seq,
        stage,
        stage not in ('Closed Won', 'Closed Lost') as is_open,
        amount,
        close_date,
        {{ month_start('valid_from') }} as from_month,
        case
            when
                stage in ('Closed Won', 'Closed Lost')
                and (
                    superseded_on is null
                    or {{ month_start('superseded_on') }}
                    > {{ dbt.dateadd('month', 1, month_start('valid_from')) }}
                )
                then cast({{ dbt.dateadd('month', 1, month_start('valid_from')) }} as date)
            when superseded_on is null
                then cast({{ dbt.dateadd('month', 1, as_of_month()) }} as date)
            else {{ month_start('superseded_on') }}
        end as until_month

    from states

),

final as (

    select
        months.month,
        state_months.opportunity_id,
        opportunities.owner_rep_id as rep_id,
        opportunities.created_date,
        {{ month_start('opportunities.created_date') }} = months.month as is_created_in_month,
        state_months.stage_entry_seq,
        state_months.stage,
        case state_months.stage
            {%- for stage_name in canonical_stages() %}
                when '{{ stage_name }}' then {{ loop.index }}
            {%- endfor %}
        end as stage_order,
        state_months.is_open,
        state_months.amount,
        state_months.close_date

    from state_months
    inner join months
        on
            state_months.from_month <= months.month
            and state_months.until_month > months.month
    inner join opportunities
        on state_months.opportunity_id = opportunities.opportunity_id
    where {{ month_start('opportunities.created_date') }} <= months.month

)

select * from final
