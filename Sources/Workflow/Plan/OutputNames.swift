import Foundation

/// Where a cohort run's outputs go and what they are called: a BIDS derivatives tree
/// (`OUTPUT/sub-<l>/[ses-<l>/]func|anat/…`) with XCP-D's names where XCP-D has the output
/// (`stat-alff_boldmap`, `stat-reho_boldmap`, `atlas-<l>_stat-pearsoncorrelation_relmat`,
/// `atlas-<l>_stat-mean_timeseries`, `desc-linc_qc`); seed maps, which XCP-D lacks and BIDS has no
/// entity for, are named `desc-<seed>_stat-z_boldmap`.
public struct OutputNames: Sendable {
    public let root: String

    public init(root: String) { self.root = root }

    /// `OUTPUT/sub-<l>/[ses-<l>/]<datatype>`.
    public func folder(participant: String, session: String?, datatype: String) -> String {
        [root, "sub-\(participant)", session.map { "ses-\($0)" }, datatype].compactMap { $0 }.joined(separator: "/")
    }

    /// The entities that name a session's combined outputs (runs averaged): sub, ses, task, acq, space, res.
    public func sessionStem(of run: BOLDRun) -> String {
        stem(run.name, keys: ["sub", "ses", "task", "acq", "space", "res"])
    }

    /// The entities that name one run's outputs: sub, ses, task, acq, run, space, res.
    public func runStem(of run: BOLDRun) -> String {
        stem(run.name, keys: ["sub", "ses", "task", "acq", "run", "space", "res"])
    }

    /// The QC table of a session: sub, ses, task, acq (one row per run).
    public func qcStem(of run: BOLDRun) -> String {
        stem(run.name, keys: ["sub", "ses", "task", "acq"])
    }

    private func stem(_ name: BIDSName, keys: [String]) -> String {
        keys.compactMap { key in name[key].map { "\(key)-\($0)" } }.joined(separator: "_")
    }

    /// `func` folder path of `run`'s participant/session.
    public func functionalFolder(of run: BOLDRun) -> String {
        folder(participant: run.participant, session: run.session, datatype: "func")
    }

    // MARK: - Names of each output

    public func seedMap(_ run: BOLDRun, statistic: String) -> String {
        functionalFolder(of: run) + "/" + sessionStem(of: run) + "_desc-{seed}_stat-\(statistic)_boldmap.nii.gz"
    }

    public func connectivity(_ run: BOLDRun, atlas: String, statistic: String) -> String {
        functionalFolder(of: run) + "/" + sessionStem(of: run) + "_atlas-\(atlas)_stat-\(statistic)_relmat.tsv"
    }

    public func timeseries(_ run: BOLDRun, atlas: String) -> String {
        functionalFolder(of: run) + "/" + sessionStem(of: run) + "_atlas-\(atlas)_stat-mean_timeseries.tsv"
    }

    public func runMap(_ run: BOLDRun, statistic: String) -> String {
        functionalFolder(of: run) + "/" + runStem(of: run) + "_stat-\(statistic)_boldmap.nii.gz"
    }

    public func qcTable(_ run: BOLDRun) -> String {
        functionalFolder(of: run) + "/" + qcStem(of: run) + "_desc-linc_qc.tsv"
    }

    /// The regional GM table of a participant: `sub-<l>[_ses-<l>][_space-<l>]_desc-<atlas>_stat-<measure>_morph.tsv`.
    public func grayMatter(participant: String, session: String?, space: String?, atlas: String, measure: String) -> String {
        let stem = ["sub-\(participant)", session.map { "ses-\($0)" }, space.map { "space-\($0)" }].compactMap { $0 }.joined(separator: "_")
        return folder(participant: participant, session: session, datatype: "anat") + "/\(stem)_desc-\(atlas)_stat-\(measure)_morph.tsv"
    }
}
