# Installed by clients/run.py as $HOME/.config/jug/jug_user_commands.py (in a scratch home),
# which is how jug-schedule's README says to add the `jug schedule` subcommand.
try:
    from jug_schedule.schedule import ScheduleCommand

    schedule = ScheduleCommand()
except Exception as e:
    import sys

    sys.stderr.write(f"Couldn't import schedule, error was {e}\n")
