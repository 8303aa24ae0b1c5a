with

source as (

    select * from {{ source('crm', 'reps') }}

),

final as (

    select
        {{ clean_text('rep_id') }} as rep_id,
        {{ clean_text('rep_name') }} as rep_name,
        {{ clean_text('team') }} as team,
        {{ clean_text('region') }} as region,
        {{ canonical_value('role', ['AE', 'SDR', 'Manager']) }} as role,
        {{ clean_text('manager_id') }} as manager_id,
        hire_date,
        end_date,
        _source_row as source_row

    from source

)

select * from final
