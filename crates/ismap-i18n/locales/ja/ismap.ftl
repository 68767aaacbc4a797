# ismap message catalog: Japanese (primary language).

## Rules: names used as headings when findings are grouped.
rule-INPUT = 入力: 読み取れない、または形式が誤っている記載
rule-S1 = S1: ガバナンス基準・マネジメント基準は全て実施する
rule-S2 = S2: 統制目標（3桁）は選択する。対象外にするには理由が必要
rule-S3 = S3: 詳細管理策（4桁）を選択しない場合は管理策ごとに理由が必要
rule-S4 = S4: 基本言明要件（.B / .PB）は実施または継承する
rule-S5 = S5: 選択した統制目標には、選択した詳細管理策が1つ以上必要
rule-S6 = S6: 選択した管理策には個別管理策の記載が必要
rule-S7 = S7: 継承する管理策は、登録済みで有効な基盤サービスから継承し、確認方法を示す
rule-S8 = S8: 言明書は1つの管理基準の版を対象とし、その版にない管理策は記載できない
rule-A1 = A1（助言）: .P 管理策を選択していない
rule-A2 = A2（助言）: 理由が一文に満たない
rule-A3 = A3（助言）: 統制目標を1つの詳細管理策だけで満たしている
rule-A4 = A4（助言）: ゼロトラスト構成と境界防御を前提とした記述の管理策

## Findings. Variables: $decision, $objective, $value, $from, $number, $date,
## $until, $statement, $catalog, $catalog_id, $characters, $key, $detail, $first.
finding-undecided = 判断が記載されていません（未決定）。
finding-governance-must-be-implemented = ガバナンス基準・マネジメント基準の詳細管理策は「implemented」（自ら実施）でなければなりません（現在: { $decision }）。
finding-governance-objective-must-be-selected = ガバナンス基準・マネジメント基準の統制目標は対象外にできません。「selected」としてください。
finding-excluded-without-reason = 統制目標を対象外とする理由（reason）が記載されていません。サービスに合理的に適用できない理由を記載してください。
finding-decided-under-excluded-objective = 統制目標 { $objective } を対象外としていますが、この詳細管理策は「{ $decision }」です。統制目標を選択するか、この管理策を「excluded」にしてください。
finding-not-selected-without-reason = 選択しない理由（reason）がこの管理策について記載されていません。
finding-excluded-while-objective-selected = 「excluded」は統制目標 { $objective } を対象外とした場合にのみ使えます。選択しない場合は「not_selected」と理由を記載してください。
finding-baseline-not-implemented = 基本言明要件（.B / .PB）は「implemented」または「inherited」でなければなりません（現在: { $decision }）。統制目標ごと対象外とする場合を除きます。
finding-objective-without-selected-detail = 選択した統制目標を達成する詳細管理策（implemented または inherited）が1つもありません。
finding-missing-individual-control = 個別管理策（individual_control）が記載されていません。自社の具体的な対策を記載してください。
finding-inherited-without-from = 継承元（from）の登録番号が記載されていません。
finding-malformed-registration-number = 「{ $value }」は登録番号の形式（例: C21-0008-2）ではありません。
finding-inherited-from-not-underlying = 継承元 { $from } が service.underlying（基盤サービス）に記載されていません。
finding-inherited-without-confirmation = 基盤サービスの対策をどのように確認したか（confirmation、第三者の監査証跡など）が記載されていません。
finding-underlying-not-registered = 基盤サービス { $number } は ISMAP クラウドサービスリストに登録されていません。
finding-underlying-not-valid-on-date = 基盤サービス { $number } の登録は言明書の日付 { $date } に有効ではありません（有効期間 { $from } ～ { $until }）。
finding-registry-not-provided = 登録簿（--registry）が指定されていないため、継承元の登録と有効期間を確認できませんでした。
finding-catalog-mismatch = 言明書の対象は管理基準「{ $statement }」ですが、検証に使った管理基準は「{ $catalog }」です。
finding-catalog-version-mismatch = 言明書の管理基準の版「{ $statement }」は、管理基準の版「{ $catalog }」と一致しません。
finding-unknown-catalog = 管理基準「{ $statement }」は見つかりません。使用できる管理基準: { $available }
finding-control-not-in-catalog = この管理策はこの版の管理基準にありません。
finding-suffix-mismatch = 管理基準ではこの管理策は { $catalog_id } と表記されます。識別子を合わせてください。
finding-cloud-control-not-selected = クラウドサービス固有の管理策（.P）を選択していません。クラウドサービス事業者が特に考慮すべき管理策です。
finding-short-reason = 理由が短すぎます（{ $characters } 文字）。なぜ適用しないのかを一文以上で記載してください。
finding-single-detailed-control = この統制目標は1つの詳細管理策だけで満たされています。リスクを許容水準まで下げるのに十分か確認してください。
finding-perimeter-wording = この管理策の記述は境界防御を前提としています。ゼロトラスト構成での実現方法を個別管理策に明記してください（管理基準マニュアル 2.7.7）。
finding-bad-control-id = 「{ $key }」は管理策番号として読めません: { $detail }
finding-decision-not-for-level = 「{ $decision }」はこの管理策には使えません。統制目標（3桁）は selected / excluded、詳細管理策（4桁）は implemented / inherited / not_selected / excluded です。
finding-unknown-decision = 判断「{ $value }」は使えません。selected / excluded / implemented / inherited / not_selected のいずれかを記載してください。
finding-unknown-service-model = サービスモデル「{ $value }」は使えません。IaaS / PaaS / SaaS のいずれかを記載してください。
finding-bad-date = 日付「{ $value }」が読めません。YYYY-MM-DD の形式で記載してください。
finding-missing-field = 必須の項目が記載されていません。
finding-duplicate-control = 同じ管理策が2回記載されています（最初の記載: { $first }）。
finding-unreadable = 読み取れません: { $detail }

## Command-line output.
cli-excerpt-notice = 注意: { $notice }
cli-summary = エラー { $errors } 件、警告 { $warnings } 件
cli-no-findings = 指摘事項はありません。
cli-error = エラー
cli-warning = 警告
cli-general = （言明書全体）
cli-line = { $line } 行目
cli-validating = 言明書 { $file } を管理基準 { $catalog }（版 { $version }）で検証しました
cli-validity-from = 有効期間の開始日
cli-validity-until = 有効期間の最終日
cli-search-count = { $total } 件中 { $found } 件が一致しました
