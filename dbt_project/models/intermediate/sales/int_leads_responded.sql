{#- Timestamps are compared by their date with the as-of date: comparing a
    timestamp with the date itself would drop everything after midnight of
    the last day of the month. -#}
with

leads as (

    select * from {{ ref('stg_crm__leads') }}

),

leads_as_of as (

    select
        lead_id,
        owner_rep_id,
        created_at,
        {{ month_start('created_at') }} as created_month,
        coalesce(
            first_contact_at is not null
            and cast(first_contact_at as date) <= {{ as_of_date() }},
            false
        ) as is_contacted,
        coalesce(
            qualified_at is not null
            and cast(qualified_at as date) <= {{ as_of_date() }},
            false
        ) as is_qualified,
        first_contact_at

    from leads
    where cast(created_at as date) <= {{ as_of_date() }}

),

final as (

    select
        lead_id,
        owner_rep_id,
        created_month,
        is_contacted,
        is_qualified,
        case
            when is_contacted
                then cast(
                    {{ dbt.datediff('created_at', 'first_contact_at', 'second') }}
                    as {{ type_double() }}
                ) / 3600
        end as response_hours

    from leads_as_of

)

select * from final
