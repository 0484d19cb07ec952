/*
 * DrmaaSmoke: Grid Engine's Java DRMAA binding (Debian's libdrmaa1.0-java, drmaa.jar) over
 * drmaa-testkit's libdrmaa, through the org.ggf.drmaa API alone.
 *
 * tests/test_java_binding.py compiles and runs it against a simulated qmaster and checks
 * its output: one line per step, with nothing in them that changes from run to run (job
 * ids and the contact are checked here and printed by their shape).
 *
 *   javac -cp /usr/share/java/drmaa.jar -d OUT tests/java/DrmaaSmoke.java
 *   DRMAA_TESTKIT_QMASTER=SOCKET java -cp OUT:/usr/share/java/drmaa.jar \
 *       -Djava.library.path=DIR_OF_LIBDRMAA_SO DrmaaSmoke
 */

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.ggf.drmaa.AlreadyActiveSessionException;
import org.ggf.drmaa.DeniedByDrmException;
import org.ggf.drmaa.DrmaaException;
import org.ggf.drmaa.InvalidJobException;
import org.ggf.drmaa.InvalidJobTemplateException;
import org.ggf.drmaa.JobInfo;
import org.ggf.drmaa.JobTemplate;
import org.ggf.drmaa.NoActiveSessionException;
import org.ggf.drmaa.Session;
import org.ggf.drmaa.SessionFactory;
import org.ggf.drmaa.Version;

public final class DrmaaSmoke {
    private static final String CONTACT_SHAPE = "session=[^.]+(\\.[^.]+)*\\.\\d+\\.\\d+";
    private static final String JOB_ID_SHAPE = "\\d+";

    private DrmaaSmoke() {}

    private static void say(String line) {
        System.out.println(line);
        System.out.flush();
    }

    /** A job id checked and printed by its shape. */
    private static String jobId(String id) {
        if (!id.matches(JOB_ID_SHAPE)) {
            throw new IllegalStateException("unexpected job id " + id);
        }
        return id;
    }

    private static JobTemplate template(Session s, String command, String... args)
            throws DrmaaException {
        JobTemplate jt = s.createJobTemplate();
        jt.setRemoteCommand(command);
        jt.setArgs(Arrays.asList(args));
        return jt;
    }

    private static String run(Session s, String command, String... args) throws DrmaaException {
        JobTemplate jt = template(s, command, args);
        try {
            return jobId(s.runJob(jt));
        } finally {
            s.deleteJobTemplate(jt);
        }
    }

    private static String outcome(JobInfo info) throws DrmaaException {
        if (info.hasExited()) {
            return "exited, status " + info.getExitStatus();
        }
        if (info.hasSignaled()) {
            return "signaled, " + info.getTerminatingSignal();
        }
        return info.wasAborted() ? "aborted" : "neither exited nor signaled";
    }

    private static String failure(Exception error) {
        String message = error.getMessage() == null ? "" : error.getMessage().trim();
        return error.getClass().getSimpleName() + ": " + message;
    }

    public static void main(String[] argv) throws Exception {
        Session s = SessionFactory.getFactory().getSession();

        // -- a session and what it says about itself -------------------------------------
        s.init(null);
        say("init: ok");
        String contact = s.getContact();
        say("contact: " + (contact.matches(CONTACT_SHAPE) ? "session=<host>.<pid>.<n>" : contact));
        say("drm system: " + s.getDrmSystem());
        say("implementation: " + s.getDrmaaImplementation());
        Version version = s.getVersion();
        say("version: " + version.getMajor() + "." + version.getMinor());

        // -- a template's attributes, read back -----------------------------------------
        JobTemplate jt = template(s, "/bin/sleep", "1");
        say("template: remote command " + jt.getRemoteCommand() + ", args " + jt.getArgs()
                + ", job name " + jt.getJobName());
        Set<?> names = jt.getAttributeNames();
        say("template: attribute names include drmaa_remote_command and drmaa_v_argv: "
                + (names.contains("drmaa_remote_command") && names.contains("drmaa_v_argv")));

        // -- two jobs, waited for ------------------------------------------------------
        String sleeper = jobId(s.runJob(jt));
        s.deleteJobTemplate(jt);
        String exit3 = run(s, "/bin/sh", "-c", "exit 3");
        say("submitted: /bin/sleep 1 and /bin/sh -c \"exit 3\"");
        JobInfo info = s.wait(sleeper, Session.TIMEOUT_WAIT_FOREVER);
        say("wait /bin/sleep 1: " + outcome(info) + ", same id " + info.getJobId().equals(sleeper));
        Map<?, ?> usage = info.getResourceUsage();
        say("wait /bin/sleep 1: resource usage has ru_wallclock "
                + (usage != null && usage.containsKey("ru_wallclock")));
        info = s.wait(exit3, Session.TIMEOUT_WAIT_FOREVER);
        say("wait /bin/sh -c \"exit 3\": " + outcome(info));

        // -- a bulk job, synchronized ---------------------------------------------------
        jt = template(s, "/bin/sleep", "1");
        List<?> tasks = s.runBulkJobs(jt, 1, 3, 1);
        s.deleteJobTemplate(jt);
        List<String> ids = new ArrayList<>();
        List<String> indices = new ArrayList<>();
        for (Object task : tasks) {
            String id = (String) task;
            ids.add(id);
            indices.add(id.substring(id.indexOf('.') + 1));
            jobId(id.substring(0, id.indexOf('.')));
        }
        say("bulk 1..3: tasks " + String.join(",", indices));
        s.synchronize(ids, Session.TIMEOUT_WAIT_FOREVER, true);
        say("bulk 1..3: synchronized");

        // -- a job killed by a signal, and one terminated while it runs -------------------
        String killed = run(s, "/bin/sh", "-c", "kill -TERM $$");
        say("wait /bin/sh -c \"kill -TERM $$\": "
                + outcome(s.wait(killed, Session.TIMEOUT_WAIT_FOREVER)));
        String victim = run(s, "/bin/sleep", "60");
        while (s.getJobProgramStatus(victim) != Session.RUNNING) {
            Thread.sleep(100);
        }
        s.control(victim, Session.TERMINATE);
        say("terminated /bin/sleep 60: " + outcome(s.wait(victim, Session.TIMEOUT_WAIT_FOREVER)));

        // -- jobs that outlive the session -------------------------------------------------
        String short1 = run(s, "/bin/sleep", "1");
        String long6 = run(s, "/bin/sleep", "6");
        say("submitted: /bin/sleep 1 and /bin/sleep 6");
        s.exit();
        say("exit: ok");
        Thread.sleep(3000);
        say("slept 3 s");
        s.init(contact);
        say("init with the saved contact: same contact " + s.getContact().equals(contact));
        try {
            s.getJobProgramStatus(short1);
            say("/bin/sleep 1: still known (unexpected)");
        } catch (InvalidJobException error) {
            say("/bin/sleep 1: lost, " + failure(error));
        }
        say("/bin/sleep 6: running " + (s.getJobProgramStatus(long6) == Session.RUNNING));
        say("wait /bin/sleep 6: " + outcome(s.wait(long6, Session.TIMEOUT_WAIT_FOREVER)));

        // -- errors --------------------------------------------------------------------
        try {
            s.init(null);
            say("init twice: no error (unexpected)");
        } catch (AlreadyActiveSessionException error) {
            say("init twice: " + failure(error));
        }
        try {
            s.wait("99999", Session.TIMEOUT_NO_WAIT);
            say("wait on an unknown job: no error (unexpected)");
        } catch (InvalidJobException error) {
            say("wait on an unknown job: " + failure(error));
        }
        jt = template(s, "/bin/true");
        jt.setNativeSpecification("-l no_such_resource=1");
        try {
            s.runJob(jt);
            say("bad attribute value: accepted (unexpected)");
        } catch (DeniedByDrmException error) {
            say("bad attribute value: " + failure(error));
        }
        jt.setJobEnvironment(Collections.singletonMap("NAME", "value"));
        say("template: job environment " + jt.getJobEnvironment());
        String name = "na\u00efve-\u540d\u524d-\ud83d\ude00"; // UTF-8 of 2, 3 and 4 bytes
        jt.setJobName(name);
        say("template: non-ASCII job name read back the same " + name.equals(jt.getJobName()));
        s.deleteJobTemplate(jt);
        try {
            jt.setRemoteCommand("/bin/true");
            say("deleted template: usable (unexpected)");
        } catch (InvalidJobTemplateException error) {
            say("deleted template: " + error.getClass().getSimpleName());
        }
        JobTemplate kept = template(s, "/bin/true");

        s.exit();
        say("exit: ok");
        try {
            kept.getRemoteCommand();
            say("template after exit: usable (unexpected)");
        } catch (NoActiveSessionException error) {
            say("template after exit: " + failure(error));
        }
        try {
            s.exit();
            say("exit twice: no error (unexpected)");
        } catch (NoActiveSessionException error) {
            say("exit twice: " + error.getClass().getSimpleName());
        }
        say("done");
    }
}
