"""Names of Grid Engine's own DRMAA test program's cases (``test_drmaa``).

``FIRST_TABLE``: the cases the DRMAA C libraries for PBS/Torque, OAR and Slurm list in
their READMEs (every one is covered by at least one Python case here).
``GE_819_EXTRA``: the cases Grid Engine 8.1.9's own copy of the program adds.
``UNCOVERED``: extra cases deliberately not covered, with the reason.
"""

FIRST_TABLE = (
    "st_submit_wait",
    "mt_submit_wait",
    "mt_submit_before_init_wait",
    "st_mult_init",
    "st_mult_exit",
    "mt_exit_during_submit",
    "mt_submit_mt_wait",
    "mt_exit_during_submit_or_wait",
    "st_bulk_submit_wait",
    "st_bulk_singlesubmit_wait_individual",
    "st_submitmixture_sync_all_dispose",
    "st_submitmixture_sync_all_nodispose",
    "st_submitmixture_sync_allids_dispose",
    "st_submitmixture_sync_allids_nodispose",
    "st_submit_pause_submit_sync",
    "st_input_file_failure",
    "st_output_file_failure",
    "st_error_file_failure",
    "st_input_becomes_output",
    "st_submit_in_hold_release",
    "st_submit_in_hold_delete",
    "st_bulk_submit_in_hold_session_release",
    "st_bulk_submit_in_hold_session_delete",
    "st_bulk_submit_in_hold_single_release",
    "st_bulk_submit_in_hold_single_delete",
    "st_exit_status",
    "st_submit_kill_sig",
    "st_submit_suspend_resume_wait",
    "st_submit_polling_wait_timeout",
    "st_submit_polling_wait_zerotimeout",
    "st_submit_polling_synchronize_timeout",
    "st_submit_polling_synchronize_zerotimeout",
    "st_empty_session_wait",
    "st_empty_session_synchronize_dispose",
    "st_empty_session_synchronize_nodispose",
    "st_empty_session_control",
    "st_attribute_change",
    "st_supported_attr",
    "st_supported_vattr",
    "st_usage_check",
    "st_contact",
    "st_drm_system",
    "st_drmaa_impl",
    "st_version",
)

GE_819_EXTRA = (
    "st_error_codes",
    "st_submit_no_run_wait",
    "st_unsupported_attr",
    "st_unsupported_vattr",
    "st_synchronize_nonexistant",
    "st_recoverable_session",
    "st_attribute_check",
    "st_drmaa_job_ps",
    "st_drmaa_control",
    "st_transfer_files_single_job",
    "st_transfer_files_bulk_job",
    "st_reservation_finish_order",
    "st_backfill_finish_order",
    "st_wild_parallel",
)

UNCOVERED = {
    "st_submit_no_run_wait": "Grid Engine's DRMAA submits with `-w e`, so an impossible request "
    "is refused at runJob (DeniedByDrmException); a job that can never run is only possible "
    "with a native specification overriding it, which is Grid Engine syntax, not DRMAA",
    "st_unsupported_vattr": "drmaa-python exposes only the three vector attributes as "
    "properties; an unknown vector attribute name cannot be set through its public API",
    "st_transfer_files_single_job": "needs delegated file staging configured in the cell "
    "(`delegated_file_staging true`) and `host:path` transfers; off by default, and "
    "transferFiles is then unsupported (covered: setting it raises InvalidArgumentException)",
    "st_transfer_files_bulk_job": "as st_transfer_files_single_job",
    "st_reservation_finish_order": "scheduler policy (resource reservation), not DRMAA",
    "st_backfill_finish_order": "scheduler policy (backfilling), not DRMAA",
    "st_wild_parallel": "parallel environments with wildcards, not DRMAA",
}
